import type { Logger } from '../observability/logger.js';
import type { ReconcileResult } from '../observability/metrics.js';
import type { WorkQueue } from './work-queue.js';

/** What the loop needs to know of a finished pass. */
export interface PassOutcome {
  /** Look at the key again after this long; undefined waits for a change. */
  requeueAfterMs: number | undefined;
  /** Other keys this pass made work for: queued at once. */
  handedOver: readonly string[];
}

/** What the loop needs to know of a failed pass: the reconciler's error policy decides it. */
export interface FailurePolicy {
  /**
   * Transient failures back off per key; terminal ones wait for the slow recheck; a replica
   * that is no longer leader drops the work (the new leader has its own queue).
   */
  backoff: 'exponential' | 'recheck' | 'none';
  /** Wait at least this long before the next attempt (the server's retry-after). */
  minDelayMs: number;
  /** Retried without reporting (a write conflict is routine, not news). */
  quiet: boolean;
  /** Fields for the failure's log line (reason, error). */
  log: Record<string, unknown>;
}

/**
 * The resource-specific side of the loop, as controller-runtime's Reconciler plus kube-rs's
 * error_policy: the loop knows keys and results, the reconciler owns the resource's status.
 */
export interface Reconciler<O extends PassOutcome, F extends FailurePolicy> {
  /** `signal` bounds the pass: its deadline, and shutdown. */
  reconcile(key: string, signal: AbortSignal): Promise<O>;
  /** What a failed pass means; pure. */
  errorPolicy(error: unknown): F;
  /**
   * Tells the key's objects about a failure (conditions, events); logs its own problems and
   * never throws. `signal` aborts only at shutdown: the pass's may be what ended the pass.
   */
  reportFailure(key: string, failure: F, signal: AbortSignal): Promise<void>;
  /** Fields for a successful pass's log line. */
  summary(outcome: O): Record<string, unknown>;
}

export interface PassMetrics {
  reconciled(result: ReconcileResult, seconds: number): void;
}

export interface ControllerDeps<O extends PassOutcome, F extends FailurePolicy> {
  queue: WorkQueue;
  reconciler: Reconciler<O, F>;
  /** Every key known when the controller starts: each is queued once. */
  keys: () => Iterable<string>;
  logger: Logger;
  metrics: PassMetrics | undefined;
  workers: number;
  /** Delay before a key stalled on a terminal error is tried again unprompted. */
  recheckMs: number;
  /** A pass still running after this is cut short and retried with backoff; default 5 min. */
  passTimeoutMs?: number;
  /** The log field naming the key (the checkpoint). */
  keyField?: string;
}

export const PASS_TIMEOUT_MS = 5 * 60_000;
/** After the grace period, how long stop() gives the passes it cut short to unwind. */
const UNWIND_MS = 5_000;

/** A pass that ran past its deadline; the error policy retries it with backoff, as transient. */
export class PassTimeoutError extends Error {
  override readonly name = 'PassTimeoutError';
}

/**
 * The generic loop: a fixed pool of workers takes keys from the queue, runs one bounded pass
 * each, and turns its outcome or the error policy's decision into a requeue. It knows nothing
 * of the resource: status and events belong to the reconciler.
 */
export class Controller<O extends PassOutcome, F extends FailurePolicy> {
  private readonly running = new Set<Promise<void>>();
  private started = false;
  /** Aborted once stop()'s grace period is over: every pass in flight is cut short. */
  private readonly halt = new AbortController();

  constructor(private readonly deps: ControllerDeps<O, F>) {}

  /** Whether start() ran: until then (a standby), changes only keep the cache warm. */
  get active(): boolean {
    return this.started;
  }

  /** Starts the workers and queues every known key once (the cache must be synced). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const key of this.deps.keys()) this.deps.queue.add(key);
    for (let i = 0; i < this.deps.workers; i++) {
      const worker = this.work();
      this.running.add(worker);
      void worker.finally(() => this.running.delete(worker));
    }
  }

  /**
   * Stops taking work and waits (at most timeoutMs) for reconciles in flight to finish; then
   * aborts the ones still running, so no call is left hanging. True when all finished on their
   * own: a pass cut short may have sent a request whose effect is still to come.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    this.deps.queue.shutdown();
    if (await this.settled(timeoutMs)) return true;
    this.halt.abort(new Error('the operator is shutting down'));
    await this.settled(UNWIND_MS);
    return false;
  }

  private async settled(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const drained = Promise.all([...this.running]).then(() => true);
    const result = await Promise.race([drained, timeout]);
    clearTimeout(timer);
    return result;
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.deps.queue.get();
      if (key === undefined) return;
      try {
        await this.process(key);
      } finally {
        this.deps.queue.done(key);
      }
    }
  }

  private async process(key: string): Promise<void> {
    const { queue, reconciler } = this.deps;
    const started = performance.now();
    const log = this.deps.logger.child({ [this.deps.keyField ?? 'key']: key });
    const timeoutMs = this.deps.passTimeoutMs ?? PASS_TIMEOUT_MS;
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new PassTimeoutError(`the pass ran past its deadline of ${timeoutMs / 1000}s`)),
      timeoutMs,
    );
    try {
      const outcome = await reconciler.reconcile(key, AbortSignal.any([deadline.signal, this.halt.signal]));
      const seconds = (performance.now() - started) / 1000;
      queue.forget(key);
      if (outcome.requeueAfterMs !== undefined) queue.addAfter(key, outcome.requeueAfterMs);
      for (const next of outcome.handedOver) queue.add(next);
      this.deps.metrics?.reconciled(
        outcome.requeueAfterMs === undefined ? 'success' : 'requeue_after',
        seconds,
      );
      log.info(
        {
          ...reconciler.summary(outcome),
          durationMs: Math.round(seconds * 1000),
          requeueAfterMs: outcome.requeueAfterMs,
          result: 'success',
        },
        'reconciled',
      );
    } catch (error: unknown) {
      const seconds = (performance.now() - started) / 1000;
      this.deps.metrics?.reconciled('error', seconds);
      if (this.halt.signal.aborted) {
        // The process is going: no requeue, no report; the next leader starts from a list.
        log.warn(
          { result: 'error', error: error instanceof Error ? error.message : String(error) },
          'reconcile interrupted by shutdown',
        );
        return;
      }
      // Whatever call the deadline interrupted, the pass failed for running out of time.
      const failure = reconciler.errorPolicy(deadline.signal.aborted ? deadline.signal.reason : error);
      if (failure.backoff === 'none') {
        log.warn({ result: 'error', ...failure.log }, 'reconcile abandoned');
        return;
      }
      const delay =
        failure.backoff === 'recheck'
          ? Math.max(failure.minDelayMs, this.deps.recheckMs)
          : queue.addRateLimited(key, failure.minDelayMs);
      if (failure.backoff === 'recheck') queue.addAfter(key, delay);
      log.warn(
        { result: 'error', ...failure.log, retryInMs: delay, durationMs: Math.round(seconds * 1000) },
        'reconcile failed',
      );
      if (!failure.quiet) await reconciler.reportFailure(key, failure, this.halt.signal);
    } finally {
      clearTimeout(timer);
    }
  }
}
