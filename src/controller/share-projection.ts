import { FLUX_RECONCILE_REQUESTED_ANNOTATION, RECONCILE_REQUESTED_ANNOTATION } from '../api/constants.js';
import type { CheckpointShare, CheckpointShareStatus, ObjectMeta } from '../api/types.js';

/** The annotations a pass reads: the requests for a pass on demand (ours and Flux's). */
const KEPT_ANNOTATIONS = [RECONCILE_REQUESTED_ANNOTATION, FLUX_RECONCILE_REQUESTED_ANNOTATION];

function keptAnnotations(
  annotations: Record<string, string> | undefined,
): Record<string, string> | undefined {
  if (!annotations) return undefined;
  const kept = KEPT_ANNOTATIONS.filter((key) => annotations[key] !== undefined);
  return kept.length === 0
    ? undefined
    : Object.fromEntries(kept.map((key) => [key, annotations[key] as string]));
}

/**
 * One copy of each string many objects repeat: every JSON document the API server sends parses
 * into fresh strings, so ten thousand shares over a few hundred projects held tens of thousands
 * of copies of the same project ids, checkpoint ids and condition texts. Bounded: past `limit`
 * distinct strings it starts over (strings still in use stay alive in their objects; only the
 * sharing of later copies is lost until the pool fills again).
 */
export class StringPool {
  private readonly pool = new Map<string, string>();

  constructor(private readonly limit = 100_000) {}

  get size(): number {
    return this.pool.size;
  }

  intern<T extends string>(value: T): T {
    const known = this.pool.get(value) as T | undefined;
    if (known !== undefined) return known;
    if (this.pool.size >= this.limit) this.pool.clear();
    this.pool.set(value, value);
    return value;
  }
}

function projectStatus(status: CheckpointShareStatus, pool: StringPool): CheckpointShareStatus {
  const s = <T extends string>(value: T): T => pool.intern(value);
  const { checkpoint, managedProjects, grants, failures, conditions } = status;
  return {
    ...status,
    ...(checkpoint === undefined ? {} : { checkpoint: s(checkpoint) }),
    ...(managedProjects === undefined ? {} : { managedProjects: managedProjects.map(s) }),
    ...(grants === undefined
      ? {}
      : {
          grants: grants.map((g) => ({
            ...g,
            projectId: s(g.projectId),
            ...(g.createdAt ? { createdAt: s(g.createdAt) } : {}),
          })),
        }),
    ...(failures === undefined
      ? {}
      : {
          failures: failures.map((f) => ({
            ...f,
            projectId: s(f.projectId),
            reason: s(f.reason),
            ...(f.message ? { message: s(f.message) } : {}),
          })),
        }),
    ...(conditions === undefined
      ? {}
      : {
          conditions: conditions.map((c) => ({
            ...c,
            // V8's JSON parser shares strings of up to ten characters itself; 'Reconciling' has 11.
            type: s(c.type),
            status: s(c.status),
            reason: s(c.reason),
            message: s(c.message),
            lastTransitionTime: s(c.lastTransitionTime),
          })),
        }),
  };
}

/**
 * What a reconcile reads of an object, and all the cache keeps of it: no managedFields (a
 * kilobyte or more per object on a real API server, one entry per field manager), no labels,
 * no annotations but the reconcile requests (kubectl's last-applied-configuration repeats the
 * whole spec), nothing a pass
 * does not use, and repeated strings shared through `pool`. The informer delivers tens of
 * thousands of objects and keeps each for the life of the process, so this is most of the
 * operator's memory per share.
 */
export function projectShare(share: CheckpointShare, pool: StringPool): CheckpointShare {
  const { name, namespace, uid, resourceVersion, generation, deletionTimestamp, finalizers } = share.metadata;
  const annotations = keptAnnotations(share.metadata.annotations);
  const metadata: ObjectMeta = {
    name,
    namespace: pool.intern(namespace),
    ...(uid === undefined ? {} : { uid }),
    ...(resourceVersion === undefined ? {} : { resourceVersion }),
    ...(generation === undefined ? {} : { generation }),
    ...(deletionTimestamp === undefined ? {} : { deletionTimestamp }),
    ...(finalizers === undefined ? {} : { finalizers: finalizers.map((f) => pool.intern(f)) }),
    ...(annotations === undefined ? {} : { annotations }),
  };
  const spec = {
    ...share.spec,
    checkpoint: pool.intern(share.spec.checkpoint),
    ...(share.spec.projectIds === undefined
      ? {}
      : { projectIds: share.spec.projectIds.map((p) => pool.intern(p)) }),
  };
  return {
    apiVersion: pool.intern(share.apiVersion),
    kind: pool.intern(share.kind),
    metadata,
    spec,
    ...(share.status === undefined ? {} : { status: projectStatus(share.status, pool) }),
  };
}
