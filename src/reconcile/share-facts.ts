import {
  FINALIZER,
  FLUX_RECONCILE_REQUESTED_ANNOTATION,
  RECONCILE_REQUESTED_ANNOTATION,
} from '../api/constants.js';
import type { CheckpointShare } from '../api/types.js';

/** namespace/name: the key of an object in caches, maps and logs. */
export function keyOf(share: Pick<CheckpointShare, 'metadata'>): string {
  return `${share.metadata.namespace}/${share.metadata.name}`;
}

export function isDeleting(share: CheckpointShare): boolean {
  return share.metadata.deletionTimestamp !== undefined;
}

export function hasFinalizer(share: CheckpointShare): boolean {
  return share.metadata.finalizers?.includes(FINALIZER) ?? false;
}

/**
 * The checkpoint whose reconcile owns this object's grants and writes its status: the one its
 * status records, or its spec's before anything was recorded. While it moves from K to K2 its
 * home stays K until K's grants are revoked.
 */
export function homeOf(share: CheckpointShare): string {
  return share.status?.checkpoint ?? share.spec.checkpoint;
}

export function managedOf(share: CheckpointShare): readonly string[] {
  return share.status?.managedProjects ?? [];
}

export function projectsOf(share: CheckpointShare): readonly string[] {
  return share.spec.projectIds ?? [];
}

/** Every checkpoint an object touches: a change to it must reconcile each of them. */
export function checkpointsOf(share: CheckpointShare): string[] {
  const status = share.status?.checkpoint;
  return status && status !== share.spec.checkpoint
    ? [share.spec.checkpoint, status]
    : [share.spec.checkpoint];
}

/**
 * The pending request for a pass on demand: our annotation's value, else Flux's. A pass records
 * the value it handled in status.lastHandledReconcileAt.
 */
export function reconcileRequestOf(share: CheckpointShare): string | undefined {
  const annotations = share.metadata.annotations;
  return annotations?.[RECONCILE_REQUESTED_ANNOTATION] ?? annotations?.[FLUX_RECONCILE_REQUESTED_ANNOTATION];
}
