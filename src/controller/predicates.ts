import { isDeepStrictEqual } from 'node:util';
import type { CheckpointShare } from '../api/types.js';
import { hasFinalizer, homeOf, reconcileRequestOf } from '../reconcile/share-facts.js';

/**
 * Update predicates, as controller-runtime names them: whether a watched change can alter a
 * plan. The operator's own status writes fail all of them, so they never feed back into the
 * queue.
 */
export const specChanged = (before: CheckpointShare, after: CheckpointShare): boolean =>
  !isDeepStrictEqual(before.spec, after.spec);

export const deletionChanged = (before: CheckpointShare, after: CheckpointShare): boolean =>
  before.metadata.deletionTimestamp !== after.metadata.deletionTimestamp;

/** A finished move changes the object's home: the new checkpoint may act on it now. */
export const homeChanged = (before: CheckpointShare, after: CheckpointShare): boolean =>
  homeOf(before) !== homeOf(after);

/** Someone removed our finalizer from a live object that still needs it. */
export const finalizerLost = (before: CheckpointShare, after: CheckpointShare): boolean =>
  !after.metadata.deletionTimestamp && hasFinalizer(before) && !hasFinalizer(after);

/** Someone asked for a pass now: a new value of the reconcile-request annotation (ours or Flux's). */
export const reconcileRequested = (before: CheckpointShare, after: CheckpointShare): boolean =>
  reconcileRequestOf(after) !== undefined && reconcileRequestOf(before) !== reconcileRequestOf(after);

/** Whether an update (compared with what the watch delivered before) needs a reconcile pass. */
export function needsPass(before: CheckpointShare, after: CheckpointShare): boolean {
  return [specChanged, deletionChanged, homeChanged, finalizerLost, reconcileRequested].some((changed) =>
    changed(before, after),
  );
}
