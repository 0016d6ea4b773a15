/** Time as the limiter sees it; injectable so tests count requests without real waiting. */
export interface LimiterClock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: LimiterClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RateLimiterOptions {
  requestsPerSecond: number;
  /** Requests allowed at once after a quiet spell; default max(1, ceil(requestsPerSecond)). */
  burst?: number;
  clock?: LimiterClock;
}

/** What the OpenAI client needs from a limiter; RateLimiter is the one the operator shares. */
export interface RequestLimiter {
  acquire(): Promise<void>;
}

/**
 * A token bucket shared by every call to OpenAI, whatever the checkpoint or worker. A caller
 * that finds the bucket empty reserves the next token and sleeps until it is due, so waiters
 * are served in arrival order and, over any window of T seconds, at most
 * `burst + requestsPerSecond * T` requests start.
 */
export class RateLimiter implements RequestLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #clock: LimiterClock;
  /** May go negative: each unit below zero is a reservation already handed to a sleeper. */
  #tokens: number;
  #updatedAt: number;

  constructor(options: RateLimiterOptions) {
    if (!(options.requestsPerSecond > 0) || !Number.isFinite(options.requestsPerSecond)) {
      throw new RangeError(`requestsPerSecond must be a positive number, got ${options.requestsPerSecond}`);
    }
    const burst = options.burst ?? Math.max(1, Math.ceil(options.requestsPerSecond));
    if (!Number.isInteger(burst) || burst < 1)
      throw new RangeError(`burst must be a positive integer, got ${burst}`);
    this.#rate = options.requestsPerSecond / 1000;
    this.#burst = burst;
    this.#clock = options.clock ?? systemClock;
    this.#tokens = burst;
    this.#updatedAt = this.#clock.now();
  }

  acquire(): Promise<void> {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#updatedAt) * this.#rate);
    this.#updatedAt = now;
    this.#tokens -= 1;
    if (this.#tokens >= 0) return Promise.resolve();
    // Rounded up: waking a fraction of a millisecond early would let a request start before its token.
    return this.#clock.sleep(Math.ceil(-this.#tokens / this.#rate));
  }
}
