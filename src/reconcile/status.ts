import { ConditionReason } from '../api/constants.js';
import type { CheckpointShare, CheckpointShareStatus, Condition, Grant, GrantFailure } from '../api/types.js';
import { CHECKPOINT_NOT_FOUND } from '../openai/explain.js';
import type { Permission } from '../openai/permissions.js';
import { type ConditionSet, mergeConditions } from './conditions.js';
import {
  type CheckpointSets,
  type CheckpointView,
  deriveSets,
  openAIFailuresOf,
  pendingRevocations,
  plan,
  refused,
  roleOf,
  stillHeld,
  verdictOf,
} from './plan.js';
import { hasFinalizer, keyOf, managedOf, projectsOf, reconcileRequestOf } from './share-facts.js';

/** What a pass did, as the status computation needs it. */
export interface PassOutcome {
  /** The view after the pass: records as written, permissions as last listed or created. */
  view: CheckpointView;
  /** Projects that could not be granted in this pass, with OpenAI's reason. */
  grantFailures: ReadonlyMap<string, GrantFailure>;
  now: Date;
}

export interface Settlement {
  /** Object key -> the whole status to write (the executor skips ones equal to the current). */
  statuses: Map<string, CheckpointShareStatus>;
  /** Deleting objects whose grants are settled: their finalizer may go. */
  releaseFinalizer: CheckpointShare[];
}

/** A failure of the whole pass, as the error policy classified it. */
export interface PassError {
  transient: boolean;
  reason: string;
  /** What failed, why, and what to do: the condition of an object the pass works for. */
  message: string;
  /** The why and what-to-do clauses alone, for a message that says "what" differently. */
  why: string;
  fix: string;
}

const list = (projects: readonly string[]) => projects.join(', ');

/** A project OpenAI refused: the GrantFailed event and, for each failure, the Stalled condition. */
export function grantFailureMessage(checkpoint: string, failure: GrantFailure): string {
  const explained = failure.message ?? `OpenAI refused it (${failure.reason})`;
  return `Cannot grant ${failure.projectId} on ${checkpoint}: ${explained}`;
}

/** A checkpoint OpenAI does not know: the CheckpointNotFound condition and event. */
export function checkpointNotFoundMessage(checkpoint: string): string {
  return `Cannot share ${checkpoint}: ${CHECKPOINT_NOT_FOUND.why}; ${CHECKPOINT_NOT_FOUND.fix}`;
}

/**
 * A deleting object's condition when a pass failed: its finalizer holds the deletion until its
 * grants are revoked, so the message says the deletion waits, on what, and the way out.
 */
function deletionWaitingMessage(share: CheckpointShare, checkpoint: string, error: PassError): string {
  const held = managedOf(share);
  const grants = held.length > 0 ? list([...held].sort()) : 'its grants';
  const orphan = error.transient ? '' : ', or set deletionPolicy: Orphan to leave the grants';
  return `Deletion is waiting: cannot revoke ${grants} on ${checkpoint} because ${error.why}; ${error.fix}${orphan}`;
}

/** The oldest permission of each project: the one a status reports. Built once per pass. */
function oldestByProject(listed: readonly Permission[]): Map<string, Permission> {
  const byProject = new Map<string, Permission>();
  for (const perm of listed) {
    const seen = byProject.get(perm.projectId);
    if (
      !seen ||
      perm.createdAt < seen.createdAt ||
      (perm.createdAt === seen.createdAt && perm.id < seen.id)
    ) {
      byProject.set(perm.projectId, perm);
    }
  }
  return byProject;
}

function grantsFor(share: CheckpointShare, byProject: ReadonlyMap<string, Permission>): Grant[] {
  return projectsOf(share).flatMap((projectId) => {
    const perm = byProject.get(projectId);
    if (!perm) return [];
    return [
      {
        projectId,
        permissionId: perm.id,
        createdAt: new Date(perm.createdAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
    ];
  });
}

function failuresFor(share: CheckpointShare, outcome: PassOutcome, sets: CheckpointSets): GrantFailure[] {
  const previous = new Map(openAIFailuresOf(share).map((f) => [f.projectId, f]));
  const fromOpenAI = projectsOf(share).flatMap((projectId) => {
    if (sets.listed.has(projectId)) return [];
    const failure =
      outcome.grantFailures.get(projectId) ??
      (outcome.view.retryFailed ? undefined : previous.get(projectId));
    return failure ? [{ ...failure }] : [];
  });
  const verdict = verdictOf(outcome.view, share);
  const fromPolicy = (verdict?.refusedProjects ?? []).map((projectId) => ({
    projectId,
    reason: ConditionReason.PolicyDenied,
    message: verdict?.refusal ?? '',
  }));
  return [...fromPolicy, ...fromOpenAI];
}

/** Every project the share's spec lists, permitted or not: what kubectl shows as Desired. */
function requestedCount(share: CheckpointShare, view: CheckpointView): number {
  return projectsOf(share).length + (verdictOf(view, share)?.refusedProjects.length ?? 0);
}

function settledConditions(
  share: CheckpointShare,
  view: CheckpointView,
  sets: CheckpointSets,
  grants: readonly Grant[],
  failures: readonly GrantFailure[],
): ConditionSet {
  const converged = { status: 'False' as const, reason: ConditionReason.Converged, message: '' };
  if (view.listed === undefined) {
    const message = checkpointNotFoundMessage(view.checkpoint);
    const stalled = { status: 'True' as const, reason: ConditionReason.CheckpointNotFound, message };
    return { ready: { ...stalled, status: 'False' }, reconciling: { ...stalled, status: 'False' }, stalled };
  }
  const granted = new Set(grants.map((g) => g.projectId));
  const missing = projectsOf(share).filter((p) => !granted.has(p));
  const pending = pendingRevocations(share, view, sets);
  const summary = `${grants.length} of ${requestedCount(share, view)} projects granted on ${view.checkpoint}`;
  const refusal = verdictOf(view, share)?.refusal;
  if (refusal !== undefined) {
    // The policy's answer comes first: only a change of policy, labels or spec can lift it.
    const pendingNote = pending.length > 0 ? `; revoking ${list(pending)}` : '';
    const others = failures.filter((f) => f.reason !== ConditionReason.PolicyDenied);
    const refusedByOpenAI = others.map((f) => `. ${grantFailureMessage(view.checkpoint, f)}`).join('');
    const message = `Refused: ${refusal}${refusedByOpenAI}. ${summary}${pendingNote}`;
    const stalled = { status: 'True' as const, reason: ConditionReason.PolicyDenied, message };
    return {
      ready: { ...stalled, status: 'False' },
      reconciling: { ...stalled, status: pending.length > 0 ? 'True' : 'False' },
      stalled,
    };
  }
  if (share.spec.suspend) {
    const resume = onResume(share, view);
    const drift = [
      resume.grant.length > 0 ? `grant ${list(resume.grant)}` : '',
      resume.revoke.length > 0 ? `revoke ${list(resume.revoke)}` : '',
    ].filter(Boolean);
    // Suspend doubles as a dry run: the message says what resuming would do on the checkpoint.
    const message = `suspended: ${summary}${drift.length > 0 ? `; on resume would ${drift.join(' and ')}` : ''}`;
    const converged = missing.length === 0 && pending.length === 0 && drift.length === 0;
    return {
      ready: { status: converged ? 'True' : 'False', reason: ConditionReason.Suspended, message },
      reconciling: { status: 'False', reason: ConditionReason.Suspended, message },
      stalled: { status: 'False', reason: ConditionReason.Suspended, message },
    };
  }
  if (failures.length > 0) {
    const refusedText = failures.map((f) => grantFailureMessage(view.checkpoint, f)).join('. ');
    const message = `${refusedText}. ${grants.length} of ${requestedCount(share, view)} projects granted.`;
    const reason = failures[0]?.reason ?? ConditionReason.InvalidProject;
    return {
      ready: { status: 'False', reason, message },
      reconciling: { status: 'False', reason, message },
      stalled: { status: 'True', reason, message },
    };
  }
  if (missing.length > 0 || pending.length > 0) {
    const waits = [
      missing.length > 0 ? `waiting to grant ${list(missing)}` : '',
      pending.length > 0 ? `waiting to revoke ${list(pending)}` : '',
    ].filter(Boolean);
    const message = `${waits.join('; ')}; ${summary}`;
    return {
      ready: { status: 'False', reason: ConditionReason.Progressing, message },
      reconciling: { status: 'True', reason: ConditionReason.Progressing, message },
      stalled: { status: 'False', reason: ConditionReason.Progressing, message },
    };
  }
  return {
    ready: { status: 'True', reason: ConditionReason.Converged, message: summary },
    reconciling: { ...converged, message: summary },
    stalled: { ...converged, message: summary },
  };
}

/**
 * What the checkpoint's next pass would grant and revoke if this suspended object were resumed:
 * the same planner, on the same view with the object's suspend lifted.
 */
function onResume(share: CheckpointShare, view: CheckpointView): { grant: string[]; revoke: string[] } {
  const resumed = { ...share, spec: { ...share.spec, suspend: false } };
  const work = plan({ ...view, shares: view.shares.map((s) => (s === share ? resumed : s)) });
  return { grant: work.grant, revoke: [...new Set(work.revoke.map((p) => p.projectId))].sort() };
}

/** The status of one object at the checkpoint that is its home, after a pass that completed. */
function settledStatus(
  share: CheckpointShare,
  outcome: PassOutcome,
  sets: CheckpointSets,
  byProject: ReadonlyMap<string, Permission>,
): CheckpointShareStatus {
  const { view, now } = outcome;
  const grants = view.listed === undefined ? [] : grantsFor(share, byProject);
  const failures = failuresFor(share, outcome, sets);
  const failed = new Set(failures.map((f) => f.projectId));
  const wanted = new Set(projectsOf(share));
  // A record may go once nothing is granted for it and this object will not grant it.
  const managedProjects =
    share.spec.suspend || view.listed === undefined
      ? [...managedOf(share)]
      : managedOf(share).filter((p) => sets.listed.has(p) || (wanted.has(p) && !failed.has(p)));
  return {
    checkpoint: view.checkpoint,
    managedProjects: managedProjects.sort(),
    grants,
    failures,
    desiredCount: requestedCount(share, view),
    grantedCount: grants.length,
    conditions: mergeConditions(
      share.status?.conditions,
      settledConditions(share, view, sets, grants, failures),
      share.metadata.generation,
      now,
    ),
    ...handled(share),
    ...(share.metadata.generation === undefined ? {} : { observedGeneration: share.metadata.generation }),
  };
}

/** The reconcile request this pass answered, kept once answered (Flux's lastHandledReconcileAt). */
function handled(share: CheckpointShare): Pick<CheckpointShareStatus, 'lastHandledReconcileAt'> {
  const requested = reconcileRequestOf(share) ?? share.status?.lastHandledReconcileAt;
  return requested === undefined ? {} : { lastHandledReconcileAt: requested };
}

function progressing(share: CheckpointShare, message: string, now: Date): Condition[] {
  const spec = { status: 'True' as const, reason: ConditionReason.Progressing, message };
  return mergeConditions(
    share.status?.conditions,
    { ready: { ...spec, status: 'False' }, reconciling: spec, stalled: { ...spec, status: 'False' } },
    share.metadata.generation,
    now,
  );
}

/** Computes every status and finalizer release that follows from a completed pass. Pure. */
export function settle(outcome: PassOutcome): Settlement {
  const { view, now } = outcome;
  const sets = deriveSets(view);
  const byProject = oldestByProject(view.listed ?? []);
  const statuses = new Map<string, CheckpointShareStatus>();
  const releaseFinalizer: CheckpointShare[] = [];
  for (const share of view.shares) {
    const role = roleOf(share, view.checkpoint);
    const pending = role === 'deleting' || role === 'leaving' ? stillHeld(share, view) : [];
    if (role === 'settled') {
      const status = settledStatus(share, outcome, sets, byProject);
      statuses.set(keyOf(share), status);
      // A refused share holds the finalizer only while it holds records (docs/design.md, Tenancy).
      if (refused(view, share) && hasFinalizer(share) && (status.managedProjects ?? []).length === 0)
        releaseFinalizer.push(share);
    } else if (role === 'deleting') {
      if (pending.length === 0) {
        if (hasFinalizer(share)) releaseFinalizer.push(share);
      } else {
        statuses.set(keyOf(share), {
          ...share.status,
          conditions: progressing(
            share,
            `Deletion is waiting: revoking or handing over ${list(pending)} on ${view.checkpoint}`,
            now,
          ),
        });
      }
    } else if (role === 'leaving') {
      const movable = pending.length === 0 && !share.spec.suspend;
      statuses.set(
        keyOf(share),
        movable
          ? {
              checkpoint: share.spec.checkpoint,
              managedProjects: [],
              grants: [],
              failures: [],
              desiredCount: projectsOf(share).length,
              grantedCount: 0,
              conditions: progressing(
                share,
                `moved from ${view.checkpoint} to ${share.spec.checkpoint}`,
                now,
              ),
              ...(share.status?.observedGeneration === undefined
                ? {}
                : { observedGeneration: share.status.observedGeneration }),
            }
          : {
              ...share.status,
              conditions: progressing(
                share,
                share.spec.suspend
                  ? `suspended while moving from ${view.checkpoint} to ${share.spec.checkpoint}`
                  : `revoking or handing over ${list(pending)} on ${view.checkpoint} before moving to ${share.spec.checkpoint}`,
                now,
              ),
            },
      );
    }
  }
  return { statuses, releaseFinalizer };
}

/** Conditions for every object at home on the checkpoint when a pass failed as a whole. */
export function settleError(
  view: CheckpointView,
  error: PassError,
  now: Date,
): Map<string, CheckpointShareStatus> {
  const statuses = new Map<string, CheckpointShareStatus>();
  for (const share of view.shares) {
    const role = roleOf(share, view.checkpoint);
    if (!role || role === 'arriving') continue;
    const message =
      role === 'deleting' ? deletionWaitingMessage(share, view.checkpoint, error) : error.message;
    const spec = { status: 'True' as const, reason: error.reason, message };
    const conditions: ConditionSet = error.transient
      ? { ready: { ...spec, status: 'False' }, reconciling: spec, stalled: { ...spec, status: 'False' } }
      : { ready: { ...spec, status: 'False' }, reconciling: { ...spec, status: 'False' }, stalled: spec };
    statuses.set(keyOf(share), {
      ...share.status,
      // Counts show in kubectl get from the first pass on, even when that pass failed.
      desiredCount: projectsOf(share).length,
      grantedCount: share.status?.grantedCount ?? 0,
      conditions: mergeConditions(share.status?.conditions, conditions, share.metadata.generation, now),
      ...handled(share),
      ...(share.metadata.generation === undefined ? {} : { observedGeneration: share.metadata.generation }),
    });
  }
  return statuses;
}
