import { describe, expect, it } from 'vitest';
import { type LimiterClock, RateLimiter } from '../../src/openai/rate-limiter.js';

/**
 * A clock that only moves when the test drives it: sleepers are woken in deadline order and the
 * time each acquire() resolved at is what the limiter is judged by.
 */
class ManualClock implements LimiterClock {
  time = 0;
  #sleepers: Array<{ at: number; wake: () => void }> = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.#sleepers.push({ at: this.time + ms, wake }));
  }

  /** Wakes sleepers one deadline at a time until none is left. */
  async runUntilIdle(): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      this.#sleepers.sort((a, b) => a.at - b.at);
      const next = this.#sleepers.shift();
      if (!next) return;
      this.time = Math.max(this.time, next.at);
      next.wake();
    }
  }
}

/** The largest number of starts in any window, compared to what the bucket allows there. */
function worstExcess(starts: number[], rate: number, burst: number): number {
  let worst = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < starts.length; i++) {
    for (let j = i; j < starts.length; j++) {
      const window = (starts[j] ?? 0) - (starts[i] ?? 0);
      const allowed = burst + (rate * window) / 1000;
      worst = Math.max(worst, j - i + 1 - allowed);
    }
  }
  return worst;
}

describe('RateLimiter', () => {
  it.each([
    { reason: '5 rps, burst 5, 60 concurrent callers', rate: 5, burst: 5, callers: 60 },
    { reason: '1 rps, burst 1, 20 concurrent callers', rate: 1, burst: 1, callers: 20 },
    { reason: '50 rps, burst 10, 300 concurrent callers', rate: 50, burst: 10, callers: 300 },
    { reason: 'fractional rate 0.5 rps, burst 2', rate: 0.5, burst: 2, callers: 12 },
  ])('never exceeds burst + rate × window: $reason', async ({ rate, burst, callers }) => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ requestsPerSecond: rate, burst, clock });
    const starts: number[] = [];
    const all = Promise.all(
      Array.from({ length: callers }, () => limiter.acquire().then(() => starts.push(clock.now()))),
    );
    await clock.runUntilIdle();
    await all;
    expect(starts).toHaveLength(callers);
    expect(worstExcess(starts, rate, burst)).toBeLessThanOrEqual(1e-9);
    // And it is not needlessly slow: the last caller starts as soon as the bucket allows.
    expect(starts.at(-1)).toBe(Math.ceil(((callers - burst) * 1000) / rate));
  });

  it('lets a burst through at once, then spaces requests by 1/rate', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ requestsPerSecond: 4, burst: 3, clock });
    const starts: number[] = [];
    const all = Promise.all(
      Array.from({ length: 6 }, () => limiter.acquire().then(() => starts.push(clock.now()))),
    );
    await clock.runUntilIdle();
    await all;
    expect(starts).toEqual([0, 0, 0, 250, 500, 750]);
  });

  it('refills while idle, but never beyond the burst', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ requestsPerSecond: 2, burst: 2, clock });
    await limiter.acquire();
    await limiter.acquire();
    clock.time = 60_000;
    const starts: number[] = [];
    const all = Promise.all(
      Array.from({ length: 4 }, () => limiter.acquire().then(() => starts.push(clock.now()))),
    );
    await clock.runUntilIdle();
    await all;
    expect(starts).toEqual([60_000, 60_000, 60_500, 61_000]);
  });

  it('serves sequential callers at the rate too', async () => {
    const clock: LimiterClock & { time: number } = {
      time: 0,
      now() {
        return this.time;
      },
      async sleep(ms) {
        this.time += ms;
      },
    };
    const limiter = new RateLimiter({ requestsPerSecond: 10, burst: 1, clock });
    const starts: number[] = [];
    for (let i = 0; i < 25; i++) {
      await limiter.acquire();
      starts.push(clock.time);
    }
    expect(worstExcess(starts, 10, 1)).toBeLessThanOrEqual(1e-9);
    expect(starts.at(-1)).toBe(2400);
  });

  it.each([
    { reason: 'zero rate', options: { requestsPerSecond: 0 } },
    { reason: 'negative rate', options: { requestsPerSecond: -1 } },
    { reason: 'infinite rate', options: { requestsPerSecond: Number.POSITIVE_INFINITY } },
    { reason: 'zero burst', options: { requestsPerSecond: 1, burst: 0 } },
    { reason: 'fractional burst', options: { requestsPerSecond: 1, burst: 1.5 } },
  ])('refuses $reason', ({ options }) => {
    expect(() => new RateLimiter(options)).toThrow(RangeError);
  });
});
