import type { ApiRequest, Cluster, Reply } from '../api-request.js';
import type { Verb } from '../resources/index.js';
import { methodNotAllowed, pathNotFound, readOnly } from '../status.js';
import { createObject } from './create.js';
import { deleteCollection, deleteObject } from './delete.js';
import { getObject, listObjects, watchObjects } from './read.js';
import { patchObject, updateObject } from './update.js';

const STATUS_VERBS = new Set(['get', 'update', 'patch']);
const COLLECTION_VERBS = new Set(['list', 'watch', 'deletecollection']);
const READ_VERBS = new Set(['get', 'list', 'watch']);

/**
 * Serves one resource request. Paths the real server does not route are 404, verbs a resource
 * does not support are 405. Returns undefined when the response is a watch stream.
 */
export async function handleResource(cluster: Cluster, r: ApiRequest): Promise<Reply | undefined> {
  const { rt, info } = r;
  // Before any body is read, so no write can fail for a reason other than the one that matters.
  if (rt.readOnlyReason !== undefined && !READ_VERBS.has(info.verb)) throw readOnly(rt, rt.readOnlyReason);
  if (rt.namespaced && info.namespace === undefined && !COLLECTION_VERBS.has(info.verb)) {
    // The all-namespaces collection path exists (for list and watch); objects live only under a namespace.
    throw info.name === undefined ? methodNotAllowed() : pathNotFound();
  }
  if (!rt.namespaced && info.namespace !== undefined) throw pathNotFound();
  if (info.subresource !== undefined) {
    if (info.subresource !== 'status' || !rt.statusSubresource) throw pathNotFound();
    if (!STATUS_VERBS.has(info.verb)) throw methodNotAllowed();
  } else if (!rt.verbs.includes(info.verb as Verb)) {
    throw methodNotAllowed();
  }
  switch (info.verb) {
    case 'get':
      return getObject(cluster, r);
    case 'list':
      return listObjects(cluster, r);
    case 'watch':
      watchObjects(cluster, r);
      return undefined;
    case 'create':
      return createObject(cluster, r);
    case 'update':
      return updateObject(cluster, r);
    case 'patch':
      return patchObject(cluster, r);
    case 'delete':
      return deleteObject(cluster, r);
    case 'deletecollection':
      return deleteCollection(cluster, r);
    default:
      throw methodNotAllowed();
  }
}
