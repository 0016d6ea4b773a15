import { isDeepStrictEqual } from 'node:util';
import { ConditionReason, ConditionType, EventReason } from '../api/constants.js';
import { parseDuration } from '../api/duration.js';
import type { CheckpointShare, CheckpointShareStatus, GrantFailure } from '../api/types.js';
import { Slots } from '../flow/slots.js';
import type { EventRecorder } from '../kube/events.js';
import type { ShareWriter } from '../kube/share-writer.js';
import { createLogger, type Logger } from '../observability/logger.js';
import type { Permission, PermissionsApi } from '../openai/permissions.js';
import { effectiveShare, type Verdict } from '../tenancy/policy.js';
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
  /**
   * Drift-check period for objects that set no spec.interval, asked at the end of every pass:
   * RESYNC_INTERVAL, or a jittered AUDIT_RESYNC_INTERVAL while the audit log is followed.
   */
  driftIntervalMs: () => number;
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
  /**
   * Under SHARE_POLICY=enforce: the policies' verdict on a share, asked afresh for every view
   * (a policy or label change queues the checkpoint). Absent under open: every share counts as is.
   */
  tenancy?: { verdict(share: CheckpointShare): Verdict };
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

interface Announcement {
  share: CheckpointShare;
  reason: EventReason;
  message: string;
}

/**
 * Kubernetes writes one pass keeps in flight at most: a round trip per stage for a checkpoint's
 * usual handful of objects, and a bounded load (and connection count) for one with thousands.
 */
export const PASS_WRITE_WIDTH = 8;

/**
 * Runs one stage's writes together (at most PASS_WRITE_WIDTH at once, through the pass's
 * `slots`), behind the fence (checked before any is sent), and waits for all of them: a pass
 * never ends with a write of its own still in flight. Throws the first failure once every
 * write has settled.
 */
async function inStages<T>(
  fence: () => void,
  slots: Slots,
  items: readonly T[],
  write: (item: T) => Promise<void>,
) {
  if (items.length === 0) return;
  fence();
  await together(items.map((item) => slots.run(() => write(item))));
}

/** Waits for every promise, then throws the first rejection, if any. */
async function together(work: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

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
    const slots = new Slots(PASS_WRITE_WIDTH);

    const { tenancy } = this.deps;
    // Judged as the policies allow: a refused share's suspension shields nothing, so its deletion
    // revokes what it recorded like any other.
    const judged = (share: CheckpointShare) =>
      tenancy ? effectiveShare(share, tenancy.verdict(share)) : share;
    // Deletions that need nothing from OpenAI go first, so an outage or a bad key never holds
    // up an Orphan or suspended object, or one that never got a grant.
    const releasable = shares.filter(
      (share) =>
        roleOf(share, checkpoint) === 'deleting' &&
        hasFinalizer(share) &&
        releasableWithoutOpenAI(judged(share)),
    );
    await inStages(fence, slots, releasable, async (share) => {
      const updated = await this.deps.writer.removeFinalizer(share, signal);
      outcome.changed = true;
      if (updated) this.deps.shares.remember(updated);
      else this.deps.shares.markGone(share);
    });
    if (releasable.length > 0) {
      const released = new Set(releasable.map(keyOf));
      shares = shares.filter((s) => !released.has(keyOf(s)));
    }
    if (shares.length === 0) return outcome;

    const signature = shares.map((s) => `${keyOf(s)}@${s.metadata.generation ?? 0}`).join(',');
    const retryFailed = this.shouldRetryFailed(checkpoint, signature);
    let listed = await list();
    const partial = this.deps.partialView?.() ?? false;
    // The objects as last written, by key: a write replaces one in O(1), whatever their number.
    const current = new Map(shares.map((s) => [keyOf(s), s]));
    const view = (): CheckpointView => {
      shares = [...current.values()];
      if (!tenancy) return { checkpoint, shares, listed, retryFailed, partial };
      // The planner sees each share as the policies allow it (refused projects gone); writes
      // still carry the object's own metadata, and the status keeps what was refused.
      const verdicts = new Map(shares.map((s) => [keyOf(s), tenancy.verdict(s)]));
      shares = shares.map((s) => effectiveShare(s, verdicts.get(keyOf(s)) as Verdict));
      return { checkpoint, shares, listed, retryFailed, partial, verdicts };
    };
    // Plans and statuses are computed on effective shares (tenancy); writes go out on the object
    // itself, so what is stored and cached keeps the user's spec.
    const stored = (share: CheckpointShare) => current.get(keyOf(share)) ?? share;
    const replace = (updated: CheckpointShare) => {
      this.deps.shares.remember(updated);
      current.set(keyOf(updated), updated);
      outcome.changed = true;
    };

    // Each stage's writes concern different objects, so they go out together: a pass costs a
    // round trip per stage, not per write. The stages keep their order (finalizers, records,
    // revokes, the grant, statuses and events, releases).
    const work = plan(view());
    await inStages(fence, slots, work.addFinalizer, async (share) => {
      replace(await this.deps.writer.addFinalizer(stored(share), signal));
    });
    await inStages(fence, slots, [...work.record], async ([key, managedProjects]) => {
      const share = current.get(key);
      if (!share) return;
      replace(
        await this.deps.writer.writeStatus(share, { ...share.status, checkpoint, managedProjects }, signal),
      );
    });

    const sets = deriveSets(view());
    // Revokes go one at a time behind the fence: each waits its turn at the rate limiter, and
    // leadership is checked again right before each is sent.
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

    // One view for the settlement and the comparison: each view() judges every share again.
    const settled = view();
    const before = settled.shares;
    const now = this.deps.now();
    const settlement = settle({ view: settled, grantFailures, now });
    const changedStatuses = before.flatMap((share) => {
      const status = settlement.statuses.get(keyOf(share));
      return status && !isDeepStrictEqual(normalize(share.status), normalize(status))
        ? [{ share, status }]
        : [];
    });
    const announcements = this.announcements(
      checkpoint,
      before,
      work.adopt,
      outcome,
      sets.authoritative,
      grantFailures,
    );
    for (const { status } of changedStatuses)
      if (status.checkpoint && status.checkpoint !== checkpoint) outcome.handedOver.push(status.checkpoint);
    outcome.adopted = [...new Set([...work.adopt.values()].flat())].sort();
    await together([
      inStages(fence, slots, changedStatuses, async ({ share, status }) => {
        replace(await this.deps.writer.writeStatus(stored(share), status, signal));
        // Once the stall is on record, so a failed write does not announce it twice.
        if (entersStall(share.status, status, ConditionReason.CheckpointNotFound)) {
          fence();
          const message = checkpointNotFoundMessage(checkpoint);
          await this.deps.events.record(share, EventReason.CheckpointNotFound, message, signal);
        }
        const refusal = newRefusal(share.status, status);
        if (refusal !== undefined) {
          fence();
          await this.deps.events.record(share, EventReason.PolicyDenied, refusal, signal);
        }
      }),
      inStages(fence, slots, announcements, ({ share, reason, message }) =>
        this.deps.events.record(share, reason, message, signal),
      ),
    ]);
    await inStages(fence, slots, settlement.releaseFinalizer, async (share) => {
      const latest = current.get(keyOf(share)) ?? share;
      const updated = await this.deps.writer.removeFinalizer(latest, signal);
      outcome.changed = true;
      if (updated) this.deps.shares.remember(updated);
      else this.deps.shares.markGone(latest);
    });
    // Kept only while some object has failures to hold back: an entry per checkpoint would keep
    // every checkpoint's signature (all its object keys) for the life of the process.
    const failing = [...settlement.statuses.values()].some((status) => (status.failures?.length ?? 0) > 0);
    if (!failing) this.failedRetries.delete(checkpoint);
    else if (retryFailed) this.failedRetries.set(checkpoint, { at: now.getTime(), signature });
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

  /**
   * Events for what this pass did, on each object the change concerns. A new object's first
   * grants are not announced: its status (Ready, grants with permission ids) says so already,
   * and leaving the event out keeps a new object at three writes (finalizer, record, status).
   * Changes to access an object already had (drift put right, a project added, an adoption, a
   * revocation) and every refusal are announced.
   */
  private announcements(
    checkpoint: string,
    shares: readonly CheckpointShare[],
    adopt: ReadonlyMap<string, string[]>,
    outcome: ReconcileOutcome,
    authoritative: boolean,
    grantFailures: ReadonlyMap<string, GrantFailure>,
  ): Announcement[] {
    const out: Announcement[] = [];
    const say = (share: CheckpointShare, reason: EventReason, message: string) =>
      out.push({ share, reason, message });
    const granted = new Set(outcome.granted);
    const revoked = [...new Set(outcome.revoked)];
    for (const share of shares) {
      const role = roleOf(share, checkpoint);
      if (!role) continue;
      const mine = projectsOf(share).filter((p) => granted.has(p));
      const known = findCondition(share.status?.conditions, ConditionType.Ready) !== undefined;
      if (role === 'settled' && mine.length > 0 && known) {
        say(share, EventReason.Granted, `Granted ${joined(mine)} on ${checkpoint}`);
      }
      const adopted = adopt.get(keyOf(share)) ?? [];
      if (adopted.length > 0) {
        say(
          share,
          EventReason.Adopted,
          `Adopted existing permissions of ${joined(adopted)} on ${checkpoint}`,
        );
      }
      const owned = new Set(homeOf(share) === checkpoint ? managedOf(share) : []);
      const gone = revoked.filter(
        (p) => owned.has(p) || (authoritative && role === 'settled' && share.spec.mode === 'Authoritative'),
      );
      if (gone.length > 0) say(share, EventReason.Revoked, `Revoked ${joined(gone.sort())} on ${checkpoint}`);
      const failedBefore = new Set((share.status?.failures ?? []).map((f) => `${f.projectId}|${f.reason}`));
      for (const project of projectsOf(share)) {
        const failure = grantFailures.get(project);
        if (role === 'settled' && failure && !failedBefore.has(`${project}|${failure.reason}`)) {
          say(share, EventReason.GrantFailed, grantFailureMessage(checkpoint, failure));
        }
      }
    }
    return out;
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
    let interval = this.deps.driftIntervalMs();
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

/**
 * The Stalled message when a policy refusal is new or says something new (one Warning event per
 * change of what is refused), else undefined.
 */
function newRefusal(
  before: CheckpointShareStatus | undefined,
  after: CheckpointShareStatus,
): string | undefined {
  const now = findCondition(after.conditions, ConditionType.Stalled);
  if (now?.status !== 'True' || now.reason !== ConditionReason.PolicyDenied) return undefined;
  const refusedNow = refusedProjects(after);
  const was = findCondition(before?.conditions, ConditionType.Stalled);
  const same =
    was?.status === 'True' &&
    was.reason === ConditionReason.PolicyDenied &&
    isDeepStrictEqual(refusedProjects(before), refusedNow) &&
    firstClause(was.message) === firstClause(now.message);
  return same ? undefined : now.message;
}

const refusedProjects = (status: CheckpointShareStatus | undefined) =>
  (status?.failures ?? []).filter((f) => f.reason === ConditionReason.PolicyDenied).map((f) => f.projectId);

/** The refusal itself, without the counts that follow it (which change as grants are revoked). */
const firstClause = (message: string) => message.split('. ')[0];

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
