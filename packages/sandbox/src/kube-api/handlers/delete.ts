/**
 * DELETE, as the registry does it for kinds without graceful deletion: preconditions from
 * DeleteOptions (409), then either the object goes at once (DELETED), or, while it has
 * finalizers, it is only marked: deletionTimestamp, deletionGracePeriodSeconds 0 and, the first
 * time, generation + 1. It goes when an update removes the last finalizer (see update.ts).
 * propagationPolicy is accepted and ignored: there is no garbage collector and no dependents.
 */
import { isRecord } from '../../../../../src/schema/structural-schema.js';
import { type ApiRequest, type Cluster, isDryRun, present, type Reply } from '../api-request.js';
import { decodeText } from '../http-io.js';
import type { ResourceType } from '../resources/index.js';
import { matchesFilter } from '../selectors.js';
import { conflict, notFound } from '../status.js';
import { type KubeObject, kubeTime } from '../types.js';
import { parseFilter } from './read.js';

interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

async function deleteOptions(r: ApiRequest): Promise<Preconditions> {
  const body = await r.body();
  if (body.length === 0) return {};
  const options = decodeText(body, 'json');
  if (!isRecord(options) || !isRecord(options.preconditions)) return {};
  const { uid, resourceVersion } = options.preconditions;
  return {
    ...(typeof uid === 'string' ? { uid } : {}),
    ...(typeof resourceVersion === 'string' ? { resourceVersion } : {}),
  };
}

export async function deleteObject(cluster: Cluster, r: ApiRequest): Promise<Reply> {
  const { rt, info } = r;
  const name = info.name ?? '';
  const dryRun = isDryRun(r.query);
  const preconditions = await deleteOptions(r);
  const stored = cluster.store.get(rt.storage, info.namespace ?? '', name);
  if (!stored) throw notFound(rt, name);
  return remove(cluster, rt, present(rt, stored), preconditions, dryRun);
}

export async function deleteCollection(cluster: Cluster, r: ApiRequest): Promise<Reply> {
  const { rt } = r;
  const dryRun = isDryRun(r.query);
  await deleteOptions(r);
  const filter = parseFilter(rt, r);
  const items = cluster.store
    .list(rt.storage, filter.namespace)
    .map((stored) => present(rt, stored))
    .filter((obj) => matchesFilter(filter, rt.fieldLabels, obj))
    .map((obj) => remove(cluster, rt, obj, {}, dryRun).body);
  const apiVersion = rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
  return {
    code: 200,
    body: {
      apiVersion,
      kind: rt.listKind,
      metadata: { resourceVersion: String(cluster.store.resourceVersion) },
      items,
    },
  };
}

function remove(
  cluster: Cluster,
  rt: ResourceType,
  current: KubeObject,
  preconditions: Preconditions,
  dryRun: boolean,
): Reply {
  const name = current.metadata.name ?? '';
  if (preconditions.uid !== undefined && preconditions.uid !== current.metadata.uid) {
    throw conflict(
      rt,
      name,
      `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${current.metadata.uid ?? ''}`,
    );
  }
  if (
    preconditions.resourceVersion !== undefined &&
    preconditions.resourceVersion !== current.metadata.resourceVersion
  ) {
    throw conflict(
      rt,
      name,
      `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion ?? ''}`,
    );
  }
  if ((current.metadata.finalizers ?? []).length > 0) {
    if (current.metadata.deletionTimestamp) return { code: 200, body: current };
    const marked = structuredClone(current);
    marked.metadata.deletionTimestamp = kubeTime();
    marked.metadata.deletionGracePeriodSeconds = 0;
    if ((marked.metadata.generation ?? 0) > 0)
      marked.metadata.generation = (marked.metadata.generation ?? 0) + 1;
    if (dryRun) return { code: 200, body: marked };
    const stored = cluster.store.write('MODIFIED', rt.storage, rt.toStorage(marked));
    return { code: 200, body: present(rt, stored) };
  }
  if (!dryRun) cluster.store.write('DELETED', rt.storage, rt.toStorage(current));
  if (rt.returnDeletedObject) return { code: 200, body: current };
  return {
    code: 200,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: {
        name,
        ...(rt.group ? { group: rt.group } : {}),
        kind: rt.resource,
        uid: current.metadata.uid ?? '',
      },
    },
  };
}
