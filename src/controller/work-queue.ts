import { backoffDelay } from '../flow/backoff.js';
import { TokenBucket } from '../flow/token-bucket.js';
import type { QueueMetrics } from '../observability/metrics.js';
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Fraction of the delay added at random, so keys that failed together do not retry together. */
  jitter: number;
  /** Global bucket for failure requeues: sustained rate and burst. */
  ratePerSecond: number;
  burst: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 500,
  maxMs: 5 * 60_000,
  jitter: 0.2,
  ratePerSecond: 10,
  burst: 100,
};

/**
 * A work queue with controller-runtime's guarantees: a key is queued at most once however often
 * it is added, a key is never handed to two workers at once (an add while it is processed is
 * kept and delivered after `done`), delayed adds keep the earliest deadline, and failures back
 * off per key exponentially with jitter under one global token bucket.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Map<string, number>();
  private readonly addedAt = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  /** After a failure, the key is not handed out before this time, whoever adds it. */
  private readonly notBefore = new Map<string, number>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  /** Global bound on failure requeues, whatever the key. */
  private readonly bucket: TokenBucket;
  private shuttingDown = false;

  constructor(
    private readonly backoff: BackoffPolicy = DEFAULT_BACKOFF,
    private readonly metrics?: QueueMetrics,
    private readonly random: () => number = Math.random,
  ) {
    this.bucket = new TokenBucket({
      ratePerSecond: backoff.ratePerSecond,
      burst: backoff.burst,
      now: Date.now,
    });
  }

  get length(): number {
    return this.queue.length;
  }

  get inFlight(): number {
    return this.processing.size;
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    const wait = (this.notBefore.get(key) ?? 0) - Date.now();
    if (wait > 0) {
      // A retry-after or backoff outranks drift timers and watch events alike.
      this.addAfter(key, wait);
      return;
    }
    if (this.dirty.has(key)) return;
    this.metrics?.add();
    this.dirty.add(key);
    this.addedAt.set(key, Date.now());
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds the key after delayMs; an earlier pending deadline for the key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Requeues after this key's next backoff step (or minDelayMs, if longer); returns the delay. */
  addRateLimited(key: string, minDelayMs = 0): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    const { baseMs, maxMs, jitter } = this.backoff;
    const stepped = backoffDelay(
      failures + 1,
      { baseMs, maxMs, jitter: { below: 0, above: jitter } },
      this.random,
    );
    const delay = Math.max(minDelayMs, stepped, this.bucket.take());
    this.metrics?.retry();
    this.notBefore.set(key, Date.now() + delay);
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears the key's backoff after a success. */
  forget(key: string): void {
    this.failures.delete(key);
    this.notBefore.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Waits for the next key; undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) return Promise.resolve(this.start(key));
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    const started = this.processing.get(key);
    if (started !== undefined) this.metrics?.worked((Date.now() - started) / 1000);
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
  }

  /** Stops handing out keys; waiting workers get undefined. Keys in flight still call done. */
  shutdown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
    this.metrics?.depth(0);
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(this.start(key));
      return;
    }
    this.queue.push(key);
    this.metrics?.depth(this.queue.length);
  }

  private start(key: string): string {
    this.dirty.delete(key);
    this.processing.set(key, Date.now());
    const added = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (added !== undefined) this.metrics?.queued((Date.now() - added) / 1000);
    this.metrics?.depth(this.queue.length);
    return key;
  }
}
