import { isDeepStrictEqual } from 'node:util';
import { ConditionReason, ConditionType, EventReason } from '../api/constants.js';
import { parseDuration } from '../api/duration.js';
import type { CheckpointShare, CheckpointShareStatus, GrantFailure } from '../api/types.js';
import type { EventRecorder } from '../kube/events.js';
import type { ShareWriter } from '../kube/share-writer.js';
import { createLogger, type Logger } from '../observability/logger.js';
import type { Permission, PermissionsApi } from '../openai/permissions.js';
import { findCondition } from './conditions.js';
import { decide, type ErrorDecision } from './error-policy.js';
import { releasableWithoutOpenAI } from './hands-off.js';
import { type CheckpointView, deriveSets, plan, roleOf } from './plan.js';
import { reportFailure } from './report-failure.js';
import { hasFinalizer, homeOf, keyOf, managedOf, projectsOf } from './share-facts.js';
import { checkpointNotFoundMessage, grantFailureMessage, settle } from './status.js';

/** Where a pass reads objects from and records what it wrote (the controller's cache). */
export interface ShareSource {
  sharesOn(checkpoint: string): CheckpointShare[];
  remember(share: CheckpointShare): void;
  markGone(share: CheckpointShare): void;
}

export interface ReconcileDeps {
  shares: ShareSource;
  writer: ShareWriter;
  permissions: PermissionsApi;
  events: EventRecorder;
  /** Drift-check period for objects that set no spec.interval. */
  defaultIntervalMs: number;
  /**
   * The shortest drift-check period, whatever spec.interval says: the CRD refuses less than 30s,
   * but an object written before that rule, or a server without it, must not spend the
   * organisation's request budget.
   */
  minIntervalMs: number;
  /** How long a project that failed terminally waits before it is tried again unprompted. */
  failedRecheckMs: number;
  now: () => Date;
  /** Throws when this replica may no longer write (leadership not certain); called before every write. */
  fence?: () => void;
  /** True while some watched namespace has not been listed (see CheckpointView.partial). */
  partialView?: () => boolean;
  /** Counts permissions as soon as OpenAI confirms them, even if the pass fails later. */
  onPermissionsChanged?: (granted: number, revoked: number) => void;
  /** Where a failure that could not be reported is logged. */
  logger?: Logger;
}

/** While a pass leaves work waiting (a hand-over, a confirming list), look again this soon. */
const PENDING_RECHECK_MS = 30_000;

export interface CallCounts {
  list: number;
  grant: number;
  revoke: number;
}

export interface ReconcileOutcome {
  checkpoint: string;
  objects: string[];
  calls: CallCounts;
  /** Whether anything was written to OpenAI or Kubernetes. */
  changed: boolean;
  granted: string[];
  revoked: string[];
  adopted: string[];
  requeueAfterMs: number | undefined;
  /** Checkpoints objects moved to in this pass: they can act on those objects now. */
  handedOver: string[];
}

const joined = (projects: readonly string[]) => projects.join(', ');

/**
 * Reconciles one checkpoint: list, plan, then act in the order that keeps ownership records
 * ahead of OpenAI (finalizers, records, revokes, one grant, confirming list, statuses,
 * finalizer releases). Throws on any failure; errorPolicy turns it into a backoff, and
 * reportFailure into conditions and events. A crash between any two steps leaves a state the
 * next pass repairs. The one author of CheckpointShare status and events: every write passes
 * the leadership fence.
 */
export class CheckpointReconciler {
  /** Per checkpoint: the object generations when failed projects were last retried. */
  private readonly failedRetries = new Map<string, { at: number; signature: string }>();

  constructor(private readonly deps: ReconcileDeps) {}

  /**
   * `signal` bounds the pass (its deadline, shutdown): every call to OpenAI and Kubernetes gets
   * it, so an aborted pass stops at the call in flight and fails like any other transient error.
   */
  async reconcile(checkpoint: string, signal?: AbortSignal): Promise<ReconcileOutcome> {
    const calls: CallCounts = { list: 0, grant: 0, revoke: 0 };
    const { permissions } = this.deps;
    /** The permissions listed, or undefined when the checkpoint is gone (nothing left to do there). */
    const list = async (): Promise<Permission[] | undefined> => {
      calls.list += 1;
      const observed = await permissions.list(checkpoint, signal);
      return observed.exists ? observed.permissions : undefined;
    };
    let shares = this.deps.shares.sharesOn(checkpoint);
    const outcome: ReconcileOutcome = {
      checkpoint,
      objects: shares.map(keyOf),
      calls,
      changed: false,
      granted: [],
      revoked: [],
      adopted: [],
      requeueAfterMs: undefined,
      handedOver: [],
    };
    if (shares.length === 0) {
      this.failedRetries.delete(checkpoint);
      return outcome;
    }
    const fence = this.deps.fence ?? (() => undefined);

    // Deletions that need nothing from OpenAI go first, so an outage or a bad key never holds
    // up an Orphan or suspended object, or one that never got a grant.
    for (const share of shares) {
      if (roleOf(share, checkpoint) !== 'deleting' || !hasFinalizer(share) || !releasableWithoutOpenAI(share))
        continue;
      fence();
      const updated = await this.deps.writer.removeFinalizer(share, signal);
      outcome.changed = true;
      if (updated) this.deps.shares.remember(updated);
      else this.deps.shares.markGone(share);
      shares = shares.filter((s) => keyOf(s) !== keyOf(share));
    }
    if (shares.length === 0) return outcome;

    const signature = shares.map((s) => `${keyOf(s)}@${s.metadata.generation ?? 0}`).join(',');
    const retryFailed = this.shouldRetryFailed(checkpoint, signature);
    let listed = await list();
    const partial = this.deps.partialView?.() ?? false;
    const view = (): CheckpointView => ({ checkpoint, shares, listed, retryFailed, partial });
    const replace = (updated: CheckpointShare) => {
      this.deps.shares.remember(updated);
      shares = shares.map((s) => (keyOf(s) === keyOf(updated) ? updated : s));
      outcome.changed = true;
    };

    const work = plan(view());
    for (const share of work.addFinalizer) {
      fence();
      replace(await this.deps.writer.addFinalizer(share, signal));
    }
    for (const [key, managedProjects] of work.record) {
      const share = shares.find((s) => keyOf(s) === key);
      if (!share) continue;
      fence();
      replace(
        await this.deps.writer.writeStatus(share, { ...share.status, checkpoint, managedProjects }, signal),
      );
    }

    const sets = deriveSets(view());
    for (const permission of work.revoke) {
      fence();
      calls.revoke += 1;
      await permissions.revoke(checkpoint, permission.id, signal);
      this.deps.onPermissionsChanged?.(0, 1);
      outcome.changed = true;
      outcome.revoked.push(permission.projectId);
    }

    const grantFailures = new Map<string, GrantFailure>();
    if (work.grant.length > 0) {
      fence();
      calls.grant += 1;
      const result = await permissions.grant(checkpoint, work.grant, signal);
      this.deps.onPermissionsChanged?.(result.granted.length, 0);
      outcome.changed = true;
      outcome.granted = result.granted.map((p) => p.projectId);
      for (const f of result.failed)
        grantFailures.set(f.projectId, { projectId: f.projectId, reason: f.reason, message: f.message });
      if (listed) listed = [...listed, ...result.granted];
    }
    // A revoke is only done once a list no longer shows it.
    if (work.revoke.length > 0) listed = await list();

    await this.announce(checkpoint, shares, work.adopt, outcome, sets.authoritative, grantFailures, signal);
    outcome.adopted = [...new Set([...work.adopt.values()].flat())].sort();

    const now = this.deps.now();
    const settlement = settle({ view: view(), grantFailures, now });
    for (const share of shares) {
      const status = settlement.statuses.get(keyOf(share));
      if (status && !isDeepStrictEqual(normalize(share.status), normalize(status))) {
        fence();
        replace(await this.deps.writer.writeStatus(share, status, signal));
        if (entersStall(share.status, status, ConditionReason.CheckpointNotFound)) {
          await this.record(
            share,
            EventReason.CheckpointNotFound,
            checkpointNotFoundMessage(checkpoint),
            signal,
          );
        }
        if (status.checkpoint && status.checkpoint !== checkpoint) outcome.handedOver.push(status.checkpoint);
      }
    }
    for (const share of settlement.releaseFinalizer) {
      const current = shares.find((s) => keyOf(s) === keyOf(share)) ?? share;
      fence();
      const updated = await this.deps.writer.removeFinalizer(current, signal);
      outcome.changed = true;
      if (updated) this.deps.shares.remember(updated);
      else this.deps.shares.markGone(current);
    }
    if (retryFailed) this.failedRetries.set(checkpoint, { at: now.getTime(), signature });
    const interval = this.interval(shares, checkpoint);
    // Authoritative revocations held back for an unlisted namespace are done on the next look.
    const waiting =
      (partial && sets.authoritative) ||
      [...settlement.statuses.values()].some(
        (status) => findCondition(status.conditions, ConditionType.Reconciling)?.status === 'True',
      );
    outcome.requeueAfterMs =
      listed === undefined
        ? Math.max(interval, this.deps.failedRecheckMs)
        : waiting
          ? Math.min(interval, PENDING_RECHECK_MS)
          : interval;
    return outcome;
  }

  /** Events for what this pass did, on each object the change concerns. */
  private async announce(
    checkpoint: string,
    shares: readonly CheckpointShare[],
    adopt: ReadonlyMap<string, string[]>,
    outcome: ReconcileOutcome,
    authoritative: boolean,
    grantFailures: ReadonlyMap<string, GrantFailure>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const record = (share: CheckpointShare, reason: EventReason, message: string) =>
      this.record(share, reason, message, signal);
    const granted = new Set(outcome.granted);
    const revoked = new Set(outcome.revoked);
    for (const share of shares) {
      const role = roleOf(share, checkpoint);
      if (!role) continue;
      const mine = projectsOf(share).filter((p) => granted.has(p));
      if (role === 'settled' && mine.length > 0) {
        await record(share, EventReason.Granted, `Granted ${joined(mine)} on ${checkpoint}`);
      }
      const adopted = adopt.get(keyOf(share)) ?? [];
      if (adopted.length > 0) {
        await record(
          share,
          EventReason.Adopted,
          `Adopted existing permissions of ${joined(adopted)} on ${checkpoint}`,
        );
      }
      const owned = new Set(homeOf(share) === checkpoint ? managedOf(share) : []);
      const gone = [...revoked].filter(
        (p) => owned.has(p) || (authoritative && role === 'settled' && share.spec.mode === 'Authoritative'),
      );
      if (gone.length > 0)
        await record(share, EventReason.Revoked, `Revoked ${joined(gone.sort())} on ${checkpoint}`);
      const failedBefore = new Set((share.status?.failures ?? []).map((f) => `${f.projectId}|${f.reason}`));
      for (const project of projectsOf(share)) {
        const failure = grantFailures.get(project);
        if (role === 'settled' && failure && !failedBefore.has(`${project}|${failure.reason}`)) {
          await record(share, EventReason.GrantFailed, grantFailureMessage(checkpoint, failure));
        }
      }
    }
  }

  /** Events are writes too: a replica that may have lost the lease records none. */
  private async record(
    share: CheckpointShare,
    reason: EventReason,
    message: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    this.deps.fence?.();
    await this.deps.events.record(share, reason, message, signal);
  }

  errorPolicy(error: unknown): ErrorDecision {
    return decide(error);
  }

  /** Conditions and events for a failed pass; failures here are logged, never thrown. */
  async reportFailure(checkpoint: string, decision: ErrorDecision, signal?: AbortSignal): Promise<void> {
    const logger = this.deps.logger;
    await reportFailure(
      {
        shares: this.deps.shares,
        writer: this.deps.writer,
        events: this.deps.events,
        now: this.deps.now,
        fence: this.deps.fence ?? (() => undefined),
        logger: logger ?? createLogger({ level: 'silent' }),
      },
      checkpoint,
      decision,
      signal,
    );
  }

  /** What a pass did, for its log line. */
  summary(outcome: ReconcileOutcome): Record<string, unknown> {
    const { objects, calls, granted, revoked, adopted, changed } = outcome;
    return { objects, calls, granted, revoked, adopted, changed };
  }

  private shouldRetryFailed(checkpoint: string, signature: string): boolean {
    const last = this.failedRetries.get(checkpoint);
    if (!last || last.signature !== signature) return true;
    return this.deps.now().getTime() - last.at >= this.deps.failedRecheckMs;
  }

  /** The drift-check period: the smallest spec.interval among the objects, else the default; never under the floor. */
  private interval(shares: readonly CheckpointShare[], checkpoint: string): number {
    let interval = this.deps.defaultIntervalMs;
    for (const share of shares) {
      if (share.spec.checkpoint !== checkpoint || !share.spec.interval) continue;
      const ms = parseDuration(share.spec.interval);
      if (ms !== undefined) interval = Math.min(interval, ms);
    }
    return Math.max(interval, this.deps.minIntervalMs);
  }
}

/** Status as compared for "nothing changed": absent and empty lists are the same. */
function normalize(status: CheckpointShareStatus | undefined): CheckpointShareStatus {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(status ?? {})) {
    if (value === undefined || value === null) continue;
    out[key] = value;
  }
  return out as CheckpointShareStatus;
}

/** Whether the object becomes Stalled for this reason now (so its Warning event is sent once). */
function entersStall(
  before: CheckpointShareStatus | undefined,
  after: CheckpointShareStatus,
  reason: string,
): boolean {
  const was = findCondition(before?.conditions, ConditionType.Stalled);
  const now = findCondition(after.conditions, ConditionType.Stalled);
  return (
    now?.status === 'True' && now.reason === reason && !(was?.status === 'True' && was.reason === reason)
  );
}
