import type { UnknownFieldPolicy } from '../../../../../src/schema/structural-schema.js';
import {
  type ApiRequest,
  type Cluster,
  fieldValidation,
  isDryRun,
  present,
  type Reply,
} from '../api-request.js';
import { generateName, setCreateSystemFields } from '../metadata.js';
import type { ResourceType } from '../resources/index.js';
import { alreadyExists, badRequest, invalid, methodNotAllowed } from '../status.js';
import { type KubeObject, kubeTime } from '../types.js';
import { admit, decodeObject, placeInNamespace } from './admission.js';

export async function createObject(cluster: Cluster, r: ApiRequest): Promise<Reply> {
  if (r.info.name !== undefined) throw methodNotAllowed();
  const policy = fieldValidation(r.query);
  const dryRun = isDryRun(r.query);
  const obj = await decodeObject(r);
  return create(cluster, r.rt, r.info.namespace, obj, policy, dryRun);
}

/**
 * The create path (also taken by an update of a missing object where the resource allows it):
 * status is dropped for resources with a status subresource, the server-owned metadata is set,
 * then validation (422) runs before the existence check (409), as in the real registry.
 */
export function create(
  cluster: Cluster,
  rt: ResourceType,
  namespace: string | undefined,
  input: KubeObject,
  policy: UnknownFieldPolicy,
  dryRun: boolean,
): Reply {
  placeInNamespace(rt, input, namespace);
  if (input.metadata.resourceVersion) {
    throw badRequest('resourceVersion should not be set on objects to be created');
  }
  if (!input.metadata.name && input.metadata.generateName) {
    input.metadata.name = generateName(input.metadata.generateName);
  }
  if (rt.statusSubresource) delete input.status;
  const admitted = admit(rt, input, { operation: 'create' }, policy);
  const obj = admitted.object;
  rt.prepareForCreate?.(obj);
  setCreateSystemFields(obj.metadata, rt.tracksGeneration, kubeTime());
  delete obj.metadata.managedFields;
  const name = obj.metadata.name ?? '';
  if (admitted.errors.length > 0) {
    // A custom resource's wrong kind gets here (a 422 on `kind`), named as the body named it.
    const named = { group: rt.group, kind: obj.kind ?? rt.kind };
    throw invalid(named, name, rt.invalidMessage(name, admitted.errors, named.kind), admitted.errors);
  }
  if (cluster.store.get(rt.storage, obj.metadata.namespace ?? '', name)) throw alreadyExists(rt, name);
  if (dryRun) return { code: 201, body: obj, headers: admitted.headers };
  if (rt.namespaced) ensureNamespace(cluster, obj.metadata.namespace ?? '');
  const stored = cluster.store.write('ADDED', rt.storage, rt.toStorage(obj));
  return { code: 201, body: present(rt, stored), headers: admitted.headers };
}

/**
 * Unlike a real cluster (404 `namespaces "x" not found`), the stand-in creates a namespace on
 * first use, so examples apply without a separate `kubectl create namespace`.
 */
export function ensureNamespace(cluster: Cluster, name: string): void {
  const rt = cluster.namespaces;
  if (name === '' || cluster.store.get(rt.storage, '', name)) return;
  const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
  rt.prepareForCreate?.(ns);
  setCreateSystemFields(ns.metadata, rt.tracksGeneration, kubeTime());
  cluster.store.write('ADDED', rt.storage, ns);
}
