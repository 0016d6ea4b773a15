import type { CheckpointShare } from '../api/types.js';
import { isDeleting, managedOf } from './share-facts.js';

/**
 * Which projects a share may touch on OpenAI, decided here and nowhere else: the planner, the
 * status settlement and the pass that releases finalizers all ask these questions. The
 * tenancy policy (which projects a namespace may name) plugs in here too when it lands.
 */

/**
 * A share whose projects no write may touch, neither grant nor revoke: a suspended one makes
 * no writes, not even on deletion (as Flux skips pruning for a suspended Kustomization), and an
 * Orphan deletion leaves its grants by definition.
 */
export function handsOff(share: CheckpointShare): boolean {
  return share.spec.suspend || (isDeleting(share) && share.spec.deletionPolicy === 'Orphan');
}

/**
 * A deleting share whose finalizer may go without asking OpenAI anything: it leaves its grants
 * (handsOff) or never recorded one. So an outage or a bad key never holds such a deletion up.
 */
export function releasableWithoutOpenAI(share: CheckpointShare): boolean {
  return isDeleting(share) && (handsOff(share) || managedOf(share).length === 0);
}

/** A share whose Authoritative mode is in force: a suspended one makes no writes, so revokes nothing. */
export function authoritative(share: CheckpointShare): boolean {
  return share.spec.mode === 'Authoritative' && !share.spec.suspend;
}

/**
 * Whether Authoritative may revoke permissions no share recorded. Not while some watched
 * namespace is unlisted (`partial`): one of them may be what an unseen share there wants, so
 * only what shares recorded is revoked until every namespace is seen.
 */
export function mayRevokeUnrecorded(anyAuthoritative: boolean, partial: boolean): boolean {
  return anyAuthoritative && !partial;
}
