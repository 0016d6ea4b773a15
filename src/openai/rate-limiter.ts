import { setTimeout as wait } from 'node:timers/promises';
import { TokenBucket } from '../flow/token-bucket.js';

/** Time as the limiter sees it; injectable so tests count requests without real waiting. */
export interface LimiterClock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Resolves after ms; rejects with the signal's reason once it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: LimiterClock = {
  now: () => performance.now(),
  sleep: async (ms, signal) => {
    try {
      await wait(ms, undefined, signal === undefined ? undefined : { signal });
    } catch (error: unknown) {
      // timers/promises rejects with its own AbortError; the caller wants the reason it gave.
      throw signal?.aborted ? signal.reason : error;
    }
  },
};

export interface RateLimiterOptions {
  requestsPerSecond: number;
  /**
   * Requests allowed at once after a quiet spell; default 1, so that no one-second window ever
   * sees more than ceil(requestsPerSecond) starts. A larger burst lets burst - 1 extra requests
   * into the first second after a quiet spell.
   */
  burst?: number;
  /**
   * How much longer than one second the window is in which at most ceil(requestsPerSecond) +
   * burst - 1 requests start (default DEFAULT_WINDOW_MARGIN_MS). The server counts requests
   * when they arrive, and the time from here to there varies by a few milliseconds (a busy event
   * loop on either side, the network): with starts exactly 1/rate apart, the one that opens a
   * second and the one just after it can land in the same second there. The margin costs
   * margin/1000 of the rate.
   */
  windowMarginMs?: number;
  clock?: LimiterClock;
}

/**
 * From the scale benchmark on a loaded two-core machine (README, "Scale benchmark"): between
 * acquire() and the request's arrival at the stand-in, two requests a second apart differed by
 * 21-24 ms at 2,000 shares, and by up to 64 ms at 10,000 while the operator was busiest (its
 * first seconds as leader): the event loop, GC and the CPU the processes share hold a request
 * back after its start here.
 */
export const DEFAULT_WINDOW_MARGIN_MS = 70;

/** What the OpenAI client needs from a limiter; RateLimiter is the one the operator shares. */
export interface RequestLimiter {
  /** Resolves when a request may start; rejects with the signal's reason once it aborts. */
  acquire(signal?: AbortSignal): Promise<void>;
  /**
   * No request starts before ms from now: the server said the organisation's limit is spent
   * (a 429 with retry-after), and that limit is shared by every checkpoint.
   */
  pauseFor(ms: number): void;
  /** How much of a pause is left, in ms; 0 when none is in effect. */
  pauseLeft(): number;
}

/**
 * A token bucket shared by every call to OpenAI, whatever the checkpoint or worker. A caller
 * that finds the bucket empty reserves the next token and sleeps until it is due, so waiters
 * are served in arrival order and, over any window of T seconds, at most
 * `burst + requestsPerSecond * T` requests start. On top of the bucket, the times requests
 * really started (not when their tokens were due) keep any window of one second plus the margin
 * to ceil(requestsPerSecond) + burst - 1 starts. A pause moves the next free token to its end;
 * a sleeper whose token fell inside the pause takes a new one when it wakes.
 */
export class RateLimiter implements RequestLimiter {
  readonly #clock: LimiterClock;
  readonly #bucket: TokenBucket;
  readonly #windowMs: number;
  /** When the last requests started, oldest at #oldest: as many as one window may hold. */
  readonly #starts: number[];
  #oldest = 0;
  #pausedUntil = Number.NEGATIVE_INFINITY;

  constructor(options: RateLimiterOptions) {
    if (!(options.requestsPerSecond > 0) || !Number.isFinite(options.requestsPerSecond)) {
      throw new RangeError(`requestsPerSecond must be a positive number, got ${options.requestsPerSecond}`);
    }
    const burst = options.burst ?? 1;
    if (!Number.isInteger(burst) || burst < 1)
      throw new RangeError(`burst must be a positive integer, got ${burst}`);
    const margin = options.windowMarginMs ?? DEFAULT_WINDOW_MARGIN_MS;
    if (!(margin >= 0) || !Number.isFinite(margin))
      throw new RangeError(`windowMarginMs must be a finite number >= 0, got ${margin}`);
    this.#windowMs = 1000 + margin;
    this.#starts = new Array<number>(Math.ceil(options.requestsPerSecond) + burst - 1).fill(
      Number.NEGATIVE_INFINITY,
    );
    const clock = options.clock ?? systemClock;
    this.#clock = clock;
    this.#bucket = new TokenBucket({
      ratePerSecond: options.requestsPerSecond,
      burst,
      now: () => clock.now(),
    });
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    for (;;) {
      const delayMs = this.#bucket.take();
      if (delayMs > 0) await this.#clock.sleep(delayMs, signal);
      await this.#windowRoom(signal);
      // A pause that began while this caller slept voided its token: it takes a new one.
      const now = this.#clock.now();
      if (now >= this.#pausedUntil) {
        this.#starts[this.#oldest] = now;
        this.#oldest = (this.#oldest + 1) % this.#starts.length;
        return;
      }
    }
  }

  /**
   * Waits until starting now keeps every window within its count. The bucket spaces the tokens'
   * due times, but a caller woken late (a busy event loop) starts closer to the next one than
   * 1/rate: counted on real start times, a second could hold one start too many.
   */
  async #windowRoom(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      const wait = (this.#starts[this.#oldest] as number) + this.#windowMs - this.#clock.now();
      if (!(wait > 0)) return;
      await this.#clock.sleep(Math.ceil(wait), signal);
    }
  }

  pauseFor(ms: number): void {
    if (!(ms > 0)) return;
    const now = this.#clock.now();
    const until = now + ms;
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    // The last reservation handed out is due when the bucket climbs back to zero. If that is
    // after the pause, so is every new one.
    if (this.#bucket.dueAt(now) >= until) return;
    // Otherwise the bucket restarts at the end of the pause holding what it would had the last
    // request started now, and at most one token: the first request after the pause keeps its
    // distance from any before it, and the queue that built up during the pause does not burst.
    const tokens = Math.min(1, Math.max(0, this.#bucket.level(now)) + this.#bucket.accrued(ms));
    this.#bucket.restart(until, tokens);
  }

  pauseLeft(): number {
    return Math.max(0, Math.ceil(this.#pausedUntil - this.#clock.now()));
  }
}
