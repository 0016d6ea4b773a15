/**
 * A token bucket: `ratePerSecond` tokens a second, at most `burst` held. The one bucket behind
 * the OpenAI request limiter and the work queue's global bound on failure requeues.
 *
 * Tokens may go negative: each unit below zero is a reservation already handed out, so callers
 * are served in order and, over any window of T seconds, at most `burst + ratePerSecond × T`
 * tokens are taken.
 */
export class TokenBucket {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  /** Tokens at #updatedAt, which may lie in the future: nothing refills before it. */
  #tokens: number;
  #updatedAt: number;

  constructor(options: { ratePerSecond: number; burst: number; now: () => number }) {
    this.#perMs = options.ratePerSecond / 1000;
    this.#burst = options.burst;
    this.#now = options.now;
    this.#tokens = options.burst;
    this.#updatedAt = options.now();
  }

  /** Takes a token; returns how long until it is due in ms (0: now). */
  take(): number {
    this.#tokens = this.level(this.#now()) - 1;
    if (this.#tokens >= 0) return 0;
    // Rounded up: waking a fraction of a millisecond early would use a token before it is due.
    return Math.ceil(-this.#tokens / this.#perMs);
  }

  /** Tokens at `now`, state moved there; before #updatedAt this takes tokens away. */
  level(now: number): number {
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#updatedAt) * this.#perMs);
    this.#updatedAt = now;
    return this.#tokens;
  }

  /** When the bucket climbs back to zero: the last reservation handed out is due then. */
  dueAt(now: number): number {
    return now + Math.max(0, -this.level(now)) / this.#perMs;
  }

  /** Holds `tokens` from `at` on (a future `at` refills nothing before it). */
  restart(at: number, tokens: number): void {
    this.#tokens = tokens;
    this.#updatedAt = at;
  }

  /** Tokens that accrue over ms. */
  accrued(ms: number): number {
    return ms * this.#perMs;
  }
}
