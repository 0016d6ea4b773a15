import { ConditionReason } from '../api/constants.js';
import { compareText } from '../api/order.js';
import type { CheckpointShare } from '../api/types.js';
import type { Permission } from '../openai/permissions.js';
import type { Verdict } from '../tenancy/policy.js';
import { handsOff, authoritative as isAuthoritative, mayRevokeUnrecorded } from './hands-off.js';
import { hasFinalizer, homeOf, isDeleting, keyOf, managedOf, projectsOf } from './share-facts.js';

/**
 * What one reconcile of one checkpoint sees: every cached object whose spec or status names the
 * checkpoint, and the permissions OpenAI listed for it (undefined when the checkpoint is gone).
 */
export interface CheckpointView {
  checkpoint: string;
  shares: readonly CheckpointShare[];
  listed: readonly Permission[] | undefined;
  /** Whether projects that failed terminally before may be tried again in this pass. */
  retryFailed: boolean;
  /**
   * Some watched namespace has not been listed yet, so objects there that want projects on
   * this checkpoint may be missing from `shares`. Authoritative then revokes only what objects
   * recorded, not every foreign permission: one of those may be what an unseen object wants.
   */
  partial?: boolean;
  /**
   * Under SHARE_POLICY=enforce: what the policies decided for each share, by key. The shares
   * themselves are then effective ones (see tenancy/policy.ts effectiveShare): refused projects
   * are already gone from spec.projectIds. Absent under open.
   */
  verdicts?: ReadonlyMap<string, Verdict>;
}

/** The policies' verdict on a share, when a policy is enforced. */
export function verdictOf(view: CheckpointView, share: CheckpointShare): Verdict | undefined {
  return view.verdicts?.get(keyOf(share));
}

/** A share the policies refuse as a whole: it wants, protects and adopts nothing. */
export function refused(view: CheckpointView, share: CheckpointShare): boolean {
  return verdictOf(view, share)?.permitted === false;
}

/** Whether a recorded project may be shielded by this share's suspension or Orphan deletion. */
function mayProtect(view: CheckpointView, share: CheckpointShare, projectId: string): boolean {
  return verdictOf(view, share)?.allows(projectId) ?? true;
}

/**
 * Failures a pass keeps without asking OpenAI again. PolicyDenied is the policy's answer, taken
 * afresh each pass: a project a policy permits now must not wait for the terminal-failure recheck.
 */
export function openAIFailuresOf(share: CheckpointShare) {
  return (share.status?.failures ?? []).filter((f) => f.reason !== ConditionReason.PolicyDenied);
}

/** How one object relates to the checkpoint being reconciled. */
export type Role =
  /** Lives here and wants its projects here. */
  | 'settled'
  /** Wants its projects here, but its grants still sit on another checkpoint: not acted on yet. */
  | 'arriving'
  /** Its grants are here but its spec names another checkpoint: revoke here, then move. */
  | 'leaving'
  /** Being deleted with its grants here. */
  | 'deleting';

export function roleOf(share: CheckpointShare, checkpoint: string): Role | undefined {
  const home = homeOf(share);
  if (isDeleting(share)) return home === checkpoint ? 'deleting' : undefined;
  if (home === checkpoint) return share.spec.checkpoint === checkpoint ? 'settled' : 'leaving';
  return share.spec.checkpoint === checkpoint ? 'arriving' : undefined;
}

/** The sets docs/design.md defines for one checkpoint ("The sets"), derived once per view. */
export interface CheckpointSets {
  /** Union of spec.projectIds over live objects whose spec names the checkpoint. */
  desired: ReadonlySet<string>;
  /** Projects of suspended objects and of Orphan objects being deleted: never touched. */
  protected: ReadonlySet<string>;
  /** Projects whose permissions this operator may revoke. */
  managed: ReadonlySet<string>;
  /** Projects holding at least one listed permission. */
  listed: ReadonlySet<string>;
  /** Projects that failed terminally and are not retried in this pass. */
  failed: ReadonlySet<string>;
  authoritative: boolean;
}

export function deriveSets(view: CheckpointView): CheckpointSets {
  const desired = new Set<string>();
  const protectedProjects = new Set<string>();
  const managed = new Set<string>();
  const failed = new Set<string>();
  let authoritative = false;
  for (const share of view.shares) {
    const role = roleOf(share, view.checkpoint);
    if (!role) continue;
    const live = role !== 'deleting';
    const specHere = share.spec.checkpoint === view.checkpoint;
    if (live && specHere) {
      for (const p of projectsOf(share)) desired.add(p);
      if (isAuthoritative(share)) authoritative = true;
    }
    if (homeOf(share) === view.checkpoint) for (const p of managedOf(share)) managed.add(p);
    if (handsOff(share)) {
      if (specHere && live) for (const p of projectsOf(share)) protectedProjects.add(p);
      if (homeOf(share) === view.checkpoint)
        for (const p of managedOf(share)) if (mayProtect(view, share, p)) protectedProjects.add(p);
    }
    if (role === 'settled' && !view.retryFailed)
      for (const f of openAIFailuresOf(share)) failed.add(f.projectId);
  }
  const listed = new Set((view.listed ?? []).map((p) => p.projectId));
  if (mayRevokeUnrecorded(authoritative, view.partial ?? false)) for (const p of listed) managed.add(p);
  return { desired, protected: protectedProjects, managed, listed, failed, authoritative };
}

export interface Plan {
  checkpoint: string;
  /** Live objects that need the finalizer before anything is granted for them. */
  addFinalizer: CheckpointShare[];
  /**
   * Ownership records to write BEFORE any OpenAI call: object key -> the full new
   * managedProjects, for each object whose record must grow (or that has none yet).
   */
  record: Map<string, string[]>;
  /** Projects to grant, in one create call. */
  grant: string[];
  /** Permissions to delete, one call each. */
  revoke: Permission[];
  /** Object key -> desired projects found already granted that no record held (Adopted). */
  adopt: Map<string, string[]>;
}

/** True when a settled object's projects may be granted by this pass. */
function acts(share: CheckpointShare, checkpoint: string): boolean {
  return roleOf(share, checkpoint) === 'settled' && !handsOff(share);
}

/**
 * The pure heart of the operator: what to change on one checkpoint.
 * grant = desired - listed - protected - failed, restricted to projects of objects that may act;
 * revoke = (listed ∩ managed) - desired - protected.
 */
export function plan(view: CheckpointView): Plan {
  const sets = deriveSets(view);
  const empty: Plan = {
    checkpoint: view.checkpoint,
    addFinalizer: [],
    record: new Map(),
    grant: [],
    revoke: [],
    adopt: new Map(),
  };
  const actors = view.shares.filter((s) => acts(s, view.checkpoint));
  // A refused share needs the finalizer only while it holds records: deleting it must revoke them.
  empty.addFinalizer = actors.filter(
    (s) => !hasFinalizer(s) && (!refused(view, s) || managedOf(s).length > 0),
  );
  if (view.listed === undefined) return empty;

  const grant = new Set<string>();
  for (const share of actors) {
    for (const p of projectsOf(share)) {
      if (!sets.listed.has(p) && !sets.protected.has(p) && !sets.failed.has(p)) grant.add(p);
    }
  }
  empty.grant = [...grant].sort();

  empty.revoke = view.listed
    .filter((perm) => sets.managed.has(perm.projectId) && !sets.desired.has(perm.projectId))
    .filter((perm) => !sets.protected.has(perm.projectId))
    .sort((a, b) => compareText(a.projectId, b.projectId) || compareText(a.id, b.id));

  const recordedAnywhere = new Set<string>();
  for (const share of view.shares)
    if (homeOf(share) === view.checkpoint) for (const p of managedOf(share)) recordedAnywhere.add(p);

  // Every settled object records the desired projects that are granted or about to be, even
  // when suspended or protected: a record is a Kubernetes write only, and it is what lets a
  // deleting or leaving object hand a shared grant over instead of leaving it unowned.
  for (const share of view.shares) {
    if (roleOf(share, view.checkpoint) !== 'settled') continue;
    const acting = acts(share, view.checkpoint);
    const managed = new Set(managedOf(share));
    const wanted = projectsOf(share).filter((p) => sets.listed.has(p) || (acting && grant.has(p)));
    const added = wanted.filter((p) => !managed.has(p));
    if (added.length > 0 || share.status?.checkpoint !== view.checkpoint) {
      empty.record.set(keyOf(share), [...managed, ...added].sort());
    }
    const adopted = added.filter((p) => sets.listed.has(p) && !recordedAnywhere.has(p));
    if (acting && adopted.length > 0) empty.adopt.set(keyOf(share), adopted.sort());
  }
  return empty;
}

/**
 * Projects an object still holds before it may let go of the checkpoint (deleting or leaving):
 * its recorded projects that still have a permission and that no other live object here has
 * recorded. Revoked ones disappear from the list; ones another object wants are handed over
 * once that object records them. Empty means its finalizer may go or it may move on.
 */
export function stillHeld(share: CheckpointShare, view: CheckpointView): string[] {
  if (view.listed === undefined) return [];
  if (isDeleting(share) && handsOff(share)) return [];
  const { listed, recordedByLive } = handOverSets(view);
  const heldElsewhere = holdsHere(share, view.checkpoint) ? recordedWithout(share, view) : recordedByLive;
  return managedOf(share).filter((p) => listed.has(p) && !heldElsewhere.has(p));
}

/** A live object at home here whose spec stays here: its records can take a grant over. */
function holdsHere(share: CheckpointShare, checkpoint: string): boolean {
  return !isDeleting(share) && homeOf(share) === checkpoint && share.spec.checkpoint === checkpoint;
}

/**
 * Per view, built once: the listed projects and what the live objects staying here recorded, so
 * that settling many deleting or leaving objects costs time linear in the objects, not quadratic.
 */
const handOverCache = new WeakMap<CheckpointView, { listed: Set<string>; recordedByLive: Set<string> }>();

function handOverSets(view: CheckpointView) {
  let sets = handOverCache.get(view);
  if (!sets) {
    const recordedByLive = new Set<string>();
    for (const other of view.shares)
      if (holdsHere(other, view.checkpoint)) for (const p of managedOf(other)) recordedByLive.add(p);
    sets = { listed: new Set((view.listed ?? []).map((p) => p.projectId)), recordedByLive };
    handOverCache.set(view, sets);
  }
  return sets;
}

/** What the other live objects here recorded: for an object that is one of them itself. */
function recordedWithout(share: CheckpointShare, view: CheckpointView): Set<string> {
  const recorded = new Set<string>();
  for (const other of view.shares)
    if (other !== share && holdsHere(other, view.checkpoint))
      for (const p of managedOf(other)) recorded.add(p);
  return recorded;
}

/** A settled object's recorded projects that should be revoked but still hold a permission. */
export function pendingRevocations(
  share: CheckpointShare,
  view: CheckpointView,
  sets: CheckpointSets,
): string[] {
  if (view.listed === undefined) return [];
  return managedOf(share).filter((p) => sets.listed.has(p) && !sets.desired.has(p) && !sets.protected.has(p));
}
