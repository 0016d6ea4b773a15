import { isDeepStrictEqual } from 'node:util';
import { ConditionType } from '../api/constants.js';
import type { CheckpointShare, CheckpointShareStatus } from '../api/types.js';
import type { EventRecorder } from '../kube/events.js';
import type { ShareWriter } from '../kube/share-writer.js';
import type { Logger } from '../observability/logger.js';
import type { OperatorMetrics } from '../observability/metrics.js';
import { OpenAIPermissionError } from '../openai/errors.js';
import { findCondition } from '../reconcile/conditions.js';
import type { CheckpointReconciler } from '../reconcile/reconcile-checkpoint.js';
import { hasFinalizer, homeOf, keyOf } from '../reconcile/share-facts.js';
import { settleError } from '../reconcile/status.js';
import { decide } from './error-policy.js';
import type { ShareCache } from './share-cache.js';
import type { InformerHandlers } from './share-informer.js';
import type { WorkQueue } from './work-queue.js';

export interface ControllerDeps {
  cache: ShareCache;
  queue: WorkQueue;
  reconciler: CheckpointReconciler;
  writer: ShareWriter;
  events: EventRecorder;
  logger: Logger;
  metrics: OperatorMetrics | undefined;
  workers: number;
  /** Delay before a checkpoint stalled on a terminal error is tried again unprompted. */
  recheckMs: number;
  now: () => Date;
  /** Throws when this replica may no longer write (leadership not certain); called before every write. */
  fence: () => void;
  /** A pass still running after this is cut short and retried with backoff; default 5 min. */
  passTimeoutMs?: number;
}

export const PASS_TIMEOUT_MS = 5 * 60_000;
/** After the grace period, how long stop() gives the passes it cut short to unwind. */
const UNWIND_MS = 5_000;

/** A pass that ran past its deadline; the error policy retries it with backoff, as transient. */
export class PassTimeoutError extends Error {
  override readonly name = 'PassTimeoutError';
}

/**
 * Turns cache changes into checkpoint keys, runs reconciles on a fixed pool of workers, and
 * applies the error policy. Only changes that can alter a plan enqueue work: the operator's
 * own status writes do not feed back into the queue.
 */
export class Controller implements InformerHandlers {
  private readonly running = new Set<Promise<void>>();
  private started = false;
  /** Aborted once stop()'s grace period is over: every pass in flight is cut short. */
  private readonly halt = new AbortController();

  constructor(private readonly deps: ControllerDeps) {}

  /**
   * Until start() (a standby before it leads), events only keep the cache warm: no work is
   * queued, so the queue shows no backlog that never drains; start() queues every checkpoint.
   */
  upsert(share: CheckpointShare): void {
    if (!this.started) {
      this.deps.cache.upsert(share);
      return;
    }
    // Compared with what the watch delivered before, not with the operator's own newer write:
    // a user's edit that raced a status write must still queue a pass.
    const previous = this.deps.cache.observed(keyOf(share));
    const touched = this.deps.cache.upsert(share);
    if (previous && !this.affectsPlan(previous, share)) return;
    for (const checkpoint of touched) this.deps.queue.add(checkpoint);
  }

  remove(key: string): void {
    if (!this.started) {
      this.deps.cache.remove(key);
      return;
    }
    for (const checkpoint of this.deps.cache.remove(key)) this.deps.queue.add(checkpoint);
  }

  keysIn(namespace: string | undefined): string[] {
    return this.deps.cache.keys().filter((k) => namespace === undefined || k.startsWith(`${namespace}/`));
  }

  private affectsPlan(before: CheckpointShare, after: CheckpointShare): boolean {
    return (
      !isDeepStrictEqual(before.spec, after.spec) ||
      before.metadata.deletionTimestamp !== after.metadata.deletionTimestamp ||
      // A finished move changes the object's home: the new checkpoint may act on it now.
      homeOf(before) !== homeOf(after) ||
      // Someone removed our finalizer from a live object that still needs it.
      (!after.metadata.deletionTimestamp && hasFinalizer(before) && !hasFinalizer(after))
    );
  }

  /** Starts the workers and queues every known checkpoint once (the cache must be synced). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const checkpoint of this.deps.cache.checkpoints()) this.deps.queue.add(checkpoint);
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
      const checkpoint = await this.deps.queue.get();
      if (checkpoint === undefined) return;
      try {
        await this.process(checkpoint);
      } finally {
        this.deps.queue.done(checkpoint);
      }
    }
  }

  private async process(checkpoint: string): Promise<void> {
    const started = performance.now();
    const log = this.deps.logger.child({ checkpoint });
    const timeoutMs = this.deps.passTimeoutMs ?? PASS_TIMEOUT_MS;
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new PassTimeoutError(`the pass ran past its deadline of ${timeoutMs / 1000}s`)),
      timeoutMs,
    );
    try {
      const outcome = await this.deps.reconciler.reconcile(
        checkpoint,
        AbortSignal.any([deadline.signal, this.halt.signal]),
      );
      const seconds = (performance.now() - started) / 1000;
      this.deps.queue.forget(checkpoint);
      if (outcome.requeueAfterMs !== undefined) this.deps.queue.addAfter(checkpoint, outcome.requeueAfterMs);
      for (const next of outcome.handedOver) this.deps.queue.add(next);
      this.deps.metrics?.reconciled(
        outcome.requeueAfterMs === undefined ? 'success' : 'requeue_after',
        seconds,
      );
      log.info(
        {
          objects: outcome.objects,
          calls: outcome.calls,
          granted: outcome.granted,
          revoked: outcome.revoked,
          adopted: outcome.adopted,
          changed: outcome.changed,
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
        // The process is going: no requeue, no status; the next leader starts from a list.
        log.warn(
          { result: 'error', error: error instanceof Error ? error.message : String(error) },
          'reconcile interrupted by shutdown',
        );
        return;
      }
      // Whatever call the deadline interrupted, the pass failed for running out of time.
      const decision = decide(deadline.signal.aborted ? deadline.signal.reason : error);
      if (decision.backoff === 'none') {
        log.warn(
          { result: 'error', reason: decision.reason, error: decision.message },
          'reconcile abandoned',
        );
        return;
      }
      const delay =
        decision.backoff === 'recheck'
          ? Math.max(decision.minDelayMs, this.deps.recheckMs)
          : this.deps.queue.addRateLimited(checkpoint, decision.minDelayMs);
      if (decision.backoff === 'recheck') this.deps.queue.addAfter(checkpoint, delay);
      log.warn(
        {
          result: 'error',
          reason: decision.reason,
          error: decision.message,
          // OpenAI's own words (already scrubbed of anything key-shaped), for whoever debugs it.
          ...(error instanceof OpenAIPermissionError ? { openai: error.message } : {}),
          retryInMs: delay,
          durationMs: Math.round(seconds * 1000),
        },
        'reconcile failed',
      );
      if (!decision.quiet) await this.report(checkpoint, decision, log);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Conditions and events for a failed pass; failures here are logged, never thrown. */
  private async report(checkpoint: string, decision: ReturnType<typeof decide>, log: Logger): Promise<void> {
    const shares = this.deps.cache.sharesOn(checkpoint);
    const statuses = settleError(
      { checkpoint, shares, listed: undefined, retryFailed: false },
      decision,
      this.deps.now(),
    );
    for (const share of shares) {
      const status = statuses.get(keyOf(share));
      if (!status) continue;
      const before = findCondition(share.status?.conditions, ConditionType.Stalled);
      // A new message counts as news too: a stalled object that is then deleted now waits.
      const entering =
        !decision.transient &&
        (before?.status !== 'True' ||
          before.reason !== decision.reason ||
          before.message !== readyMessage(status));
      // Not the pass's signal, which may be what ended the pass: each call has its own deadline.
      const signal = this.halt.signal;
      try {
        if (!isDeepStrictEqual(share.status, status)) {
          this.deps.fence();
          this.deps.cache.remember(await this.deps.writer.writeStatus(share, status, signal));
        }
        if (entering && decision.event) {
          this.deps.fence();
          // The object's own condition message: a deleting object's says its deletion waits.
          await this.deps.events.record(
            share,
            decision.event,
            readyMessage(status) ?? decision.message,
            signal,
          );
        }
      } catch (error: unknown) {
        log.warn(
          { object: keyOf(share), error: error instanceof Error ? error.message : String(error) },
          'could not report failure',
        );
      }
    }
  }
}

function readyMessage(status: CheckpointShareStatus): string | undefined {
  return findCondition(status.conditions, ConditionType.Ready)?.message;
}
