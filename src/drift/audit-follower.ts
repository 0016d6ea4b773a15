import type { AuditLogSetting } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { DriftReason, FollowerMetrics } from '../observability/metrics.js';
import { type AuditLogApi, PERMISSION_CREATED, type PermissionEvent } from '../openai/audit-log.js';
import { TerminalError, TransientError } from '../openai/errors.js';
import type { OwnChanges } from './own-changes.js';

/**
 * How far back each poll reads again: entries can appear in the log after their effective_at,
 * and the operator's clock and OpenAI's differ a little. Every entry is handled once (by id).
 */
export const OVERLAP_MS = 2 * 60_000;
/** A refused or failing log is tried again this often while drift is found by listing. */
export const RETRY_MS = 5 * 60_000;
/** Polls that fail in a row before drift goes back to listing. */
export const FAILURES_BEFORE_FALLBACK = 3;
/**
 * While checkpoints queue up for passes (a first install, a policy change), polls wait, at most
 * this many intervals: those passes list their checkpoints anyway, the log then mostly holds the
 * operator's own grants, and reading them later, once, leaves the request budget to the passes.
 */
export const MAX_DEFERRED_POLLS = 10;

/** Where the follower finds the checkpoints an event concerns (the share cache). */
export interface DriftTargets {
  hasCheckpoint(checkpoint: string): boolean;
  /** The checkpoint of each permission id that a share records as its grant. */
  checkpointsHolding(permissionIds: ReadonlySet<string>): Map<string, string>;
  checkpoints(): Iterable<string>;
}

export interface DriftQueue {
  add(key: string): void;
  /** An earlier pending time for the key wins. */
  addAfter(key: string, delayMs: number): void;
}

export interface AuditFollowerDeps {
  api: AuditLogApi;
  setting: Exclude<AuditLogSetting, 'off'>;
  pollIntervalMs: number;
  /** RESYNC_INTERVAL: when the follower stops, every checkpoint is listed within this. */
  listIntervalMs: number;
  own: OwnChanges;
  targets: DriftTargets;
  queue: DriftQueue;
  /** True while passes wait in the queue: the next poll is put off (MAX_DEFERRED_POLLS at most). */
  busy?: () => boolean;
  logger: Logger;
  metrics?: FollowerMetrics;
  now?: () => number;
  random?: () => number;
}

/** What one poll found, over all its pages. */
interface PollRead {
  queued: Set<string>;
  events: number;
  lateMs: number;
}

type State = { following: true } | { following: false; reason: 'refused' | 'failing'; problem: string };

/**
 * Follows the organisation's audit log for checkpoint permissions created or deleted outside the
 * operator and queues the checkpoints they concern, so drift is put right within a poll instead
 * of waiting for the next full list. One paginated read per poll for the whole organisation,
 * from the previous poll's start minus OVERLAP_MS. While it follows, the full lists are only a
 * safety net (AUDIT_RESYNC_INTERVAL); when the log refuses or keeps failing, drift goes back to
 * listing at once and the follower is retried every RETRY_MS. Runs on the leader only: a new
 * leader starts from now minus the overlap, and its first pass of every checkpoint covers the
 * time before.
 */
export class AuditFollower {
  readonly #deps: AuditFollowerDeps;
  readonly #now: () => number;
  readonly #random: () => number;
  #state: State = { following: true };
  /** Start of the next read (ms); undefined: read from the poll's own start minus the overlap. */
  #readFrom: number | undefined;
  /** The log has been read up to here (ms since the epoch). */
  #readUpTo: number | undefined;
  /** Entries already handled, with their effective_at, kept while the overlap can return them. */
  readonly #handled = new Map<string, number>();
  #failures = 0;
  #deferred = 0;
  /** When a late entry was last warned about, so the warning comes at most hourly. */
  #warnedLateAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #stop = new AbortController();
  #running = false;
  /** Bumped by start() and stop(): a poll of an earlier run drops what it read. */
  #generation = 0;
  #startedAt = 0;
  /** Whether a read succeeded since start(). */
  #confirmed = false;

  constructor(deps: AuditFollowerDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#random = deps.random ?? Math.random;
  }

  /** True unless the log refused or kept failing: full lists wait for AUDIT_RESYNC_INTERVAL. */
  get following(): boolean {
    return this.#state.following;
  }

  /** Seconds the reading is behind now (since start() before the first read); undefined when stopped. */
  lagSeconds(): number | undefined {
    if (!this.#running) return undefined;
    return Math.max(0, (this.#now() - (this.#readUpTo ?? this.#startedAt)) / 1000);
  }

  /** Why the process should count as unready: AUDIT_LOG=on and the log cannot be followed. */
  unready(): string[] {
    if (this.#deps.setting !== 'on' || this.#state.following) return [];
    return [`AUDIT_LOG=on but the audit log is not followed (${this.#state.reason}): ${this.#state.problem}`];
  }

  /** Starts following from now minus the overlap (leadership was just acquired). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#generation += 1;
    this.#stop = new AbortController();
    this.#confirmed = false;
    this.#failures = 0;
    this.#deferred = 0;
    this.#readUpTo = undefined;
    this.#state = { following: true };
    this.#startedAt = this.#now();
    this.#readFrom = this.#startedAt - OVERLAP_MS;
    this.#deps.metrics?.mode('audit_log', 'starting');
    this.#schedule(0);
  }

  stop(): void {
    this.#running = false;
    this.#generation += 1;
    clearTimeout(this.#timer);
    this.#stop.abort(new Error('the audit-log follower is stopping'));
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    const generation = this.#generation;
    this.#timer = setTimeout(() => {
      // A bug here must not end the leader as an unhandled rejection: log it and poll again.
      this.#poll(generation).catch((error: unknown) => {
        this.#deps.logger.error(
          { error: error instanceof Error ? error.message : String(error) },
          'audit-log follower failed; polling again',
        );
        if (generation === this.#generation) this.#schedule(this.#deps.pollIntervalMs);
      });
    }, delayMs);
  }

  async #poll(generation: number): Promise<void> {
    const current = () => generation === this.#generation;
    if (this.#deps.busy?.() && this.#deferred < MAX_DEFERRED_POLLS) {
      this.#deferred += 1;
      this.#schedule(this.#deps.pollIntervalMs);
      return;
    }
    this.#deferred = 0;
    const started = this.#now();
    const from = this.#readFrom ?? started - OVERLAP_MS;
    const read: PollRead = { queued: new Set(), events: 0, lateMs: 0 };
    try {
      // Page by page: a catch-up after a busy spell can hold tens of thousands of entries, and
      // what a page queued stays queued if a later page fails (the retry skips handled entries).
      for await (const page of this.#deps.api.permissionEvents(from / 1000, this.#stop.signal)) {
        if (!current()) return;
        this.#handlePage(page, read, started);
      }
    } catch (error: unknown) {
      if (!current()) return;
      this.#failed(error);
      return;
    }
    if (!current()) return;
    this.#deps.metrics?.poll('success');
    this.#failures = 0;
    this.#finishRead(read, started);
    this.#readUpTo = started;
    this.#readFrom = started - OVERLAP_MS;
    if (!this.#confirmed || !this.#state.following) {
      this.#deps.logger.info(
        { pollIntervalMs: this.#deps.pollIntervalMs, recovered: this.#confirmed },
        'following the audit log for permissions changed outside the operator',
      );
      this.#confirmed = true;
      this.#enter({ following: true });
    }
    this.#schedule(this.#deps.pollIntervalMs);
  }

  #handlePage(page: readonly PermissionEvent[], read: PollRead, readAt: number): void {
    const { own, targets, queue, metrics } = this.#deps;
    const queued = new Set<string>();
    const deleted = new Set<string>();
    const counts = new Map<string, number>();
    const fresh: PermissionEvent[] = [];
    for (const event of page) {
      if (this.#handled.has(event.id)) continue;
      fresh.push(event);
      read.events += 1;
      // Only entries that appeared after an earlier read (late ones) say how late the log runs.
      if (this.#readUpTo !== undefined && event.effectiveAt * 1000 < this.#readUpTo)
        read.lateMs = Math.max(read.lateMs, readAt - event.effectiveAt * 1000);
      counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
      if (event.type === PERMISSION_CREATED) {
        if (!own.tookCreate(event.permissionId) && targets.hasCheckpoint(event.checkpoint))
          queued.add(event.checkpoint);
      } else if (!own.tookDelete(event.permissionId)) {
        deleted.add(event.permissionId);
      }
    }
    if (deleted.size > 0)
      for (const checkpoint of targets.checkpointsHolding(deleted).values()) queued.add(checkpoint);
    for (const [type, count] of counts) metrics?.events(type, count);
    for (const checkpoint of queued) {
      queue.add(checkpoint);
      read.queued.add(checkpoint);
    }
    // Handled only once queued: a page that failed half-way is handled again in full.
    for (const event of fresh) this.#handled.set(event.id, event.effectiveAt);
  }

  #finishRead(read: PollRead, readAt: number): void {
    if (read.queued.size > 0) {
      this.#deps.logger.info(
        { checkpoints: [...read.queued], events: read.events },
        'audit log: permissions changed outside the operator; checking their checkpoints',
      );
    }
    const keepAfterSeconds = (readAt - OVERLAP_MS) / 1000;
    for (const [id, effectiveAt] of this.#handled)
      if (effectiveAt < keepAfterSeconds - 1) this.#handled.delete(id);
    this.#deps.own.prune();
    this.#warnIfLate(read.lateMs, readAt);
  }

  /**
   * An entry later than the overlap is never read: say so while there is still margin, since the
   * safety-net list (AUDIT_RESYNC_INTERVAL) would be the only thing to find what it records.
   */
  #warnIfLate(lateMs: number, now: number): void {
    if (lateMs <= OVERLAP_MS / 2 || now - this.#warnedLateAt < 3_600_000) return;
    this.#warnedLateAt = now;
    this.#deps.logger.warn(
      { lateSeconds: Math.round(lateMs / 1000), overlapSeconds: OVERLAP_MS / 1000 },
      'audit log entries appear late, close to the overlap each read repeats: later ones would be found only by the next full list',
    );
  }

  #failed(error: unknown): void {
    // Ids of the operator's own changes would otherwise pile up while the log stays unread.
    this.#deps.own.prune();
    const problem = error instanceof Error ? error.message : String(error);
    // OpenAI asked the organisation to wait (a 429, or a pause another request caused): the log
    // is fine, and falling back would spend far more requests on lists.
    if (error instanceof TransientError && error.retryAfterMs !== undefined) {
      this.#deps.metrics?.poll('error');
      this.#schedule(Math.max(error.retryAfterMs, this.#deps.pollIntervalMs));
      return;
    }
    const refused = isRefusal(error);
    this.#deps.metrics?.poll(refused ? 'refused' : 'error');
    this.#failures += 1;
    if (!refused && this.#failures < FAILURES_BEFORE_FALLBACK) {
      this.#deps.logger.warn(
        { error: problem, failures: this.#failures },
        'audit log read failed; trying again',
      );
      this.#schedule(this.#deps.pollIntervalMs);
      return;
    }
    this.#enter({ following: false, reason: refused ? 'refused' : 'failing', problem });
    this.#schedule(RETRY_MS);
  }

  #enter(next: State): void {
    const was = this.#state;
    this.#state = next;
    const reason: DriftReason = next.following ? 'following' : next.reason;
    this.#deps.metrics?.mode(next.following ? 'audit_log' : 'listing', reason);
    if (next.following || !was.following) return;
    // Whatever happened since the last read is unknown: every checkpoint is listed within the
    // list interval, spread out, and a checkpoint waiting for its AUDIT_RESYNC_INTERVAL comes first.
    this.#readFrom = undefined;
    const { listIntervalMs, queue, targets, logger, setting } = this.#deps;
    for (const checkpoint of targets.checkpoints())
      queue.addAfter(checkpoint, this.#random() * listIntervalMs);
    const line = {
      reason: next.reason,
      error: next.problem,
      retryInMs: RETRY_MS,
      listIntervalMs,
    };
    const message =
      'audit log not followed: finding drift by listing every checkpoint every RESYNC_INTERVAL until it can be read';
    if (setting === 'on') logger.error(line, message);
    else logger.warn(line, message);
  }
}

/**
 * The organisation or the key may not read the log: audit logging off, a key without the scope,
 * an endpoint that is not there. A malformed answer is a failure to retry, not a refusal.
 */
function isRefusal(error: unknown): boolean {
  return (
    error instanceof TerminalError &&
    error.status !== undefined &&
    [400, 401, 403, 404].includes(error.status)
  );
}
