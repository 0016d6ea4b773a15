/**
 * PUT and PATCH, on the main resource and on /status. Both end in one update path that follows
 * the registry's GuaranteedUpdate: preconditions (uid, resourceVersion: 409), then admission and
 * validation (422), then the rules the server owns: the main resource cannot write status and
 * /status cannot write anything else, generation counts spec changes, no finalizer may be added
 * once deletion started, an update that changes nothing writes nothing, and an update that
 * removes the last finalizer of a deleting object deletes it.
 */
import type { UnknownFieldPolicy } from '../../../../../src/schema/structural-schema.js';
import {
  type ApiRequest,
  type Cluster,
  fieldValidation,
  isDryRun,
  present,
  type Reply,
} from '../api-request.js';
import { decodeText, mediaType } from '../http-io.js';
import { addedFinalizers, goStringSlice, keepSystemFields } from '../metadata.js';
import { applyJsonPatch, decodeJsonPatch, mergePatch, PatchApplyError, PatchDecodeError } from '../patch.js';
import { forbidden } from '../resources/builtin.js';
import {
  badRequest,
  conflict,
  invalid,
  KubeError,
  methodNotAllowed,
  notFound,
  unsupportedMediaType,
} from '../status.js';
import { isKubeObject, type KubeObject, sameContent } from '../types.js';
import { admit, checkTypeMeta, decodeObject, placeInNamespace } from './admission.js';
import { create } from './create.js';

export async function updateObject(cluster: Cluster, r: ApiRequest): Promise<Reply> {
  const { rt, info } = r;
  const name = info.name;
  if (name === undefined) throw methodNotAllowed();
  const policy = fieldValidation(r.query);
  const dryRun = isDryRun(r.query);
  const candidate = await decodeObject(r);
  if ((candidate.metadata.name ?? '') !== name) {
    throw badRequest(
      `the name of the object (${candidate.metadata.name ?? ''}) does not match the name on the URL (${name})`,
    );
  }
  placeInNamespace(rt, candidate, info.namespace);
  const stored = cluster.store.get(rt.storage, info.namespace ?? '', name);
  if (!stored) {
    if (rt.allowCreateOnUpdate && info.subresource === undefined) {
      delete candidate.metadata.resourceVersion;
      return create(cluster, rt, info.namespace, candidate, policy, dryRun);
    }
    throw notFound(rt, name);
  }
  return commitUpdate(cluster, r, present(rt, stored), candidate, { policy, dryRun, patch: false });
}

const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';
const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

/**
 * Strategic merge patches (built-in kinds only) are applied as JSON merge patches: the kinds
 * served here have no lists with merge keys the operator patches, so the results agree.
 */
export async function patchObject(cluster: Cluster, r: ApiRequest): Promise<Reply> {
  const { rt, info } = r;
  const name = info.name;
  if (name === undefined) throw methodNotAllowed();
  const type = mediaType(r.req.headers['content-type']);
  const accepted = [JSON_PATCH, MERGE_PATCH, ...(rt.strategicMerge ? [STRATEGIC_MERGE_PATCH] : [])];
  if (!accepted.includes(type)) throw unsupportedMediaType(type, accepted);
  const policy = fieldValidation(r.query);
  const dryRun = isDryRun(r.query);
  const body = decodeText(await r.body(), 'json');
  const stored = cluster.store.get(rt.storage, info.namespace ?? '', name);
  if (!stored) throw notFound(rt, name);
  const current = present(rt, stored);
  let patched: unknown;
  try {
    patched =
      type === JSON_PATCH ? applyJsonPatch(current, decodeJsonPatch(body)) : mergePatch(current, body);
  } catch (err: unknown) {
    if (err instanceof PatchDecodeError) throw badRequest(err.message);
    if (err instanceof PatchApplyError) {
      throw new KubeError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
        causes: [{ message: err.message }],
      });
    }
    throw err;
  }
  if (!isKubeObject(patched))
    throw badRequest('the patch turned the object into something that is not an object');
  const candidate = checkTypeMeta(rt, patched);
  if ((candidate.metadata.name ?? '') !== name) {
    throw badRequest(
      `the name of the object (${candidate.metadata.name ?? ''}) does not match the name on the URL (${name})`,
    );
  }
  placeInNamespace(rt, candidate, info.namespace);
  // A patch is unconditional unless it carries a resourceVersion of its own.
  if (!candidate.metadata.resourceVersion)
    candidate.metadata.resourceVersion = current.metadata.resourceVersion ?? '';
  return commitUpdate(cluster, r, current, candidate, { policy, dryRun, patch: true });
}

interface UpdateOptions {
  policy: UnknownFieldPolicy;
  dryRun: boolean;
  patch: boolean;
}

function withoutMetadataAndStatus(obj: KubeObject): Record<string, unknown> {
  const { metadata: _metadata, status: _status, ...rest } = obj;
  return rest;
}

function withoutResourceVersion(obj: KubeObject): KubeObject {
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

function commitUpdate(
  cluster: Cluster,
  r: ApiRequest,
  old: KubeObject,
  candidate: KubeObject,
  options: UpdateOptions,
): Reply {
  const { rt, info } = r;
  const name = old.metadata.name ?? '';
  const uid = candidate.metadata.uid;
  if (uid && uid !== old.metadata.uid) {
    throw conflict(
      rt,
      name,
      `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${old.metadata.uid ?? ''}`,
    );
  }
  const requested = candidate.metadata.resourceVersion;
  if (!requested) {
    if (!rt.allowUnconditionalUpdate) {
      const errors = [
        {
          field: 'metadata.resourceVersion',
          type: 'FieldValueInvalid',
          message: 'metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
        },
      ];
      throw invalid(rt, name, rt.invalidMessage(name, errors), errors);
    }
  } else if (requested !== old.metadata.resourceVersion) {
    throw conflict(rt, name);
  }

  const status = info.subresource === 'status';
  let input: KubeObject;
  if (status) {
    // /status writes status only; the rest of the object stays as stored.
    input = structuredClone(old);
    if (candidate.status === undefined) delete input.status;
    else input.status = candidate.status;
  } else {
    // The main resource cannot write status where status is a subresource.
    input = candidate;
    if (rt.statusSubresource) {
      if (old.status === undefined) delete input.status;
      else input.status = structuredClone(old.status);
    }
  }
  const admitted = admit(rt, input, { operation: 'update', old }, options.policy);
  const next = admitted.object;
  keepSystemFields(next.metadata, old.metadata);
  next.metadata.resourceVersion = old.metadata.resourceVersion ?? '';
  delete next.metadata.managedFields;
  if (rt.tracksGeneration && !sameContent(withoutMetadataAndStatus(next), withoutMetadataAndStatus(old))) {
    next.metadata.generation = (old.metadata.generation ?? 0) + 1;
  }
  const errors = [...admitted.errors];
  const added = old.metadata.deletionTimestamp ? addedFinalizers(next.metadata, old.metadata) : [];
  if (added.length > 0) {
    errors.push(
      forbidden(
        'metadata.finalizers',
        `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(added)}`,
      ),
    );
  }
  if (errors.length > 0) throw invalid(rt, name, rt.invalidMessage(name, errors), errors);

  if (sameContent(withoutResourceVersion(next), withoutResourceVersion(old))) {
    return { code: 200, body: old, headers: admitted.headers };
  }
  const deleting = next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0;
  if (options.dryRun) return { code: 200, body: next, headers: admitted.headers };
  if (deleting) {
    // The object goes; watchers see DELETED with its last stored state, as from etcd.
    cluster.store.write('DELETED', rt.storage, rt.toStorage(old));
    return { code: 200, body: old, headers: admitted.headers };
  }
  const stored = cluster.store.write('MODIFIED', rt.storage, rt.toStorage(next));
  return { code: 200, body: present(rt, stored), headers: admitted.headers };
}
