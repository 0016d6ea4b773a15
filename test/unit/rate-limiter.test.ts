import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { TransientError } from '../../src/openai/errors.js';
import { DEFAULT_WINDOW_MARGIN_MS, type LimiterClock, RateLimiter } from '../../src/openai/rate-limiter.js';
import { SdkPermissionsApi } from '../../src/openai/sdk-permissions.js';

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

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((wake, fail) => {
      const sleeper = { at: this.time + ms, wake };
      this.#sleepers.push(sleeper);
      signal?.addEventListener('abort', () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        fail(signal.reason);
      });
    });
  }

  /** Calls fn once the clock reaches `at` (a caller arriving later). */
  at(at: number, fn: () => void): void {
    this.#sleepers.push({ at, wake: fn });
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

/** The most starts in any one-second window [t, t + 1000). */
function busiestSecond(starts: number[]): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && (sorted[j] ?? 0) < (sorted[i] ?? 0) + 1000) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

describe('RateLimiter', () => {
  it.each([
    { reason: '5 rps, burst 5, 60 concurrent callers', rate: 5, burst: 5, callers: 60 },
    { reason: '1 rps, burst 1, 20 concurrent callers', rate: 1, burst: 1, callers: 20 },
    { reason: '50 rps, burst 10, 300 concurrent callers', rate: 50, burst: 10, callers: 300 },
    { reason: 'fractional rate 0.5 rps, burst 2', rate: 0.5, burst: 2, callers: 12 },
  ])('never exceeds burst + rate × window: $reason', async ({ rate, burst, callers }) => {
    const clock = new ManualClock();
    // The bucket alone: the one-second window's margin is tested apart.
    const limiter = new RateLimiter({ requestsPerSecond: rate, burst, windowMarginMs: 0, clock });
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
    const limiter = new RateLimiter({ requestsPerSecond: 2, burst: 2, windowMarginMs: 0, clock });
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
    const limiter = new RateLimiter({ requestsPerSecond: 10, burst: 1, windowMarginMs: 0, clock });
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
    { reason: 'negative window margin', options: { requestsPerSecond: 1, windowMarginMs: -1 } },
    {
      reason: 'infinite window margin',
      options: { requestsPerSecond: 1, windowMarginMs: Number.POSITIVE_INFINITY },
    },
  ])('refuses $reason', ({ options }) => {
    expect(() => new RateLimiter(options)).toThrow(RangeError);
  });

  it.each([
    { reason: '500 callers at once, 50 rps', rate: 50, waves: [{ at: 0, callers: 500 }] },
    { reason: '60 callers at once, the default 5 rps', rate: 5, waves: [{ at: 0, callers: 60 }] },
    {
      reason: 'waves of 40 every 700 ms at 50 rps, each finding some refill',
      rate: 50,
      waves: Array.from({ length: 12 }, (_, i) => ({ at: 700 * i, callers: 40 })),
    },
    {
      reason: 'a second quiet spell in the middle at 50 rps',
      rate: 50,
      waves: [
        { at: 0, callers: 200 },
        { at: 60_000, callers: 200 },
      ],
    },
  ])(
    'with the default burst, never starts more than the rate in any one second: $reason',
    async ({ rate, waves }) => {
      const clock = new ManualClock();
      const limiter = new RateLimiter({ requestsPerSecond: rate, clock });
      const starts: number[] = [];
      const done: Promise<void>[] = [];
      for (const wave of waves) {
        clock.at(wave.at, () => {
          for (let i = 0; i < wave.callers; i++)
            done.push(limiter.acquire().then(() => void starts.push(clock.now())));
        });
      }
      await clock.runUntilIdle();
      await Promise.all(done);
      expect(starts).toHaveLength(waves.reduce((sum, w) => sum + w.callers, 0));
      expect(busiestSecond(starts)).toBeLessThanOrEqual(rate);
    },
  );

  describe('the one-second window, counted on real start times', () => {
    /** Starts in the busiest window of `windowMs`, [t, t + windowMs). */
    const busiest = (starts: number[], windowMs: number) => {
      const sorted = [...starts].sort((a, b) => a - b);
      let most = 0;
      for (let i = 0, j = 0; i < sorted.length; i++) {
        while (j < sorted.length && (sorted[j] ?? 0) < (sorted[i] ?? 0) + windowMs) j++;
        most = Math.max(most, j - i);
      }
      return most;
    };

    it('a caller woken late does not start closer to the next ones than the window allows', async () => {
      // Every 7th sleep ends 15 ms late, as on a busy event loop: the bucket's due times stay on
      // schedule, so without the window the late caller and the next one would start together.
      const clock = new ManualClock();
      let sleeps = 0;
      const sleep = clock.sleep.bind(clock);
      clock.sleep = (ms, signal) => sleep(ms + (++sleeps % 7 === 0 ? 15 : 0), signal);
      const limiter = new RateLimiter({ requestsPerSecond: 50, windowMarginMs: 0, clock });
      const starts: number[] = [];
      const all = Promise.all(
        Array.from({ length: 400 }, () => limiter.acquire().then(() => void starts.push(clock.now()))),
      );
      await clock.runUntilIdle();
      await all;
      expect(starts).toHaveLength(400);
      expect(busiest(starts, 1000)).toBe(50);
    });

    it.each([
      { rate: 50, callers: 500 },
      { rate: 5, callers: 60 },
      { rate: 2.5, callers: 30 },
    ])(
      'by default keeps DEFAULT_WINDOW_MARGIN_MS to spare: at most ceil($rate) starts in any window of a second plus the margin',
      async ({ rate, callers }) => {
        const clock = new ManualClock();
        const limiter = new RateLimiter({ requestsPerSecond: rate, clock });
        const starts: number[] = [];
        const all = Promise.all(
          Array.from({ length: callers }, () => limiter.acquire().then(() => void starts.push(clock.now()))),
        );
        await clock.runUntilIdle();
        await all;
        expect(busiest(starts, 1000 + DEFAULT_WINDOW_MARGIN_MS)).toBe(Math.ceil(rate));
        // And no slower than the bucket or the window demands: the margin costs margin/1000 of
        // the rate where the window binds, nothing more.
        const span = (starts.at(-1) ?? 0) - (starts[0] ?? 0);
        const bucket = ((callers - 1) * 1000) / rate;
        const window = ((callers - 1) / Math.ceil(rate)) * (1000 + DEFAULT_WINDOW_MARGIN_MS);
        expect(span).toBeLessThanOrEqual(Math.max(bucket, window) + 1000 / rate);
      },
    );
  });

  describe('pauseFor (a 429 that speaks for the whole organisation)', () => {
    it('holds every request until the pause ends, then serves them at the rate', async () => {
      const clock = new ManualClock();
      const limiter = new RateLimiter({ requestsPerSecond: 50, clock });
      await limiter.acquire();
      clock.time = 10;
      limiter.pauseFor(5000);
      const starts: number[] = [];
      const all = Promise.all(
        Array.from({ length: 5 }, () => limiter.acquire().then(() => starts.push(clock.now()))),
      );
      await clock.runUntilIdle();
      await all;
      expect(starts).toEqual([5010, 5030, 5050, 5070, 5090]);
    });

    it('also holds callers that were already waiting for their token', async () => {
      const clock = new ManualClock();
      const limiter = new RateLimiter({ requestsPerSecond: 10, clock });
      const starts: number[] = [];
      const all = Promise.all(
        Array.from({ length: 4 }, () => limiter.acquire().then(() => starts.push(clock.now()))),
      );
      // The first starts at 0; the others are asleep until 100, 200 and 300 when the 429 comes.
      clock.at(50, () => limiter.pauseFor(1000));
      await clock.runUntilIdle();
      await all;
      expect(starts[0]).toBe(0);
      expect(starts.slice(1).every((t) => t >= 1050)).toBe(true);
      expect(busiestSecond(starts.slice(1))).toBeLessThanOrEqual(10);
      expect(worstExcess(starts, 10, 1)).toBeLessThanOrEqual(1e-9);
    });

    it.each([
      { reason: 'a longer pause extends it', second: 8000, end: 8000 },
      { reason: 'a shorter pause does not shorten it', second: 2000, end: 5000 },
    ])('$reason', async ({ second, end }) => {
      const clock = new ManualClock();
      const limiter = new RateLimiter({ requestsPerSecond: 50, clock });
      limiter.pauseFor(5000);
      limiter.pauseFor(second);
      const started = limiter.acquire().then(() => clock.now());
      await clock.runUntilIdle();
      expect(await started).toBe(end);
    });

    it('keeps the spacing from a request just before a short pause', async () => {
      const clock = new ManualClock();
      const limiter = new RateLimiter({ requestsPerSecond: 50, clock });
      await limiter.acquire();
      limiter.pauseFor(5);
      const started = limiter.acquire().then(() => clock.now());
      await clock.runUntilIdle();
      expect(await started).toBe(20);
    });
  });

  it('stops waiting when the caller aborts, with the caller’s reason', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ requestsPerSecond: 1, clock });
    await limiter.acquire();
    const caller = new AbortController();
    const waiting = limiter.acquire(caller.signal);
    caller.abort(new Error('pass deadline'));
    await expect(waiting).rejects.toThrow('pass deadline');
    await expect(limiter.acquire(caller.signal)).rejects.toThrow('pass deadline');
  });

  describe('shared by the OpenAI client: the organisation’s limit is one for every checkpoint', () => {
    const EMPTY_PAGE = { object: 'list', data: [], first_id: null, last_id: null, has_more: false };

    it.each([
      { reason: 'a 429 with retry-after pauses everyone', status: 429, retryAfter: '5', bStartsAt: 5000 },
      { reason: 'a 503 with retry-after pauses everyone', status: 503, retryAfter: '5', bStartsAt: 5000 },
      { reason: 'a 500 names no delay and pauses no one', status: 500, retryAfter: undefined, bStartsAt: 20 },
    ])(
      '$reason: checkpoint B waits for what checkpoint A was told',
      async ({ status, retryAfter, bStartsAt }) => {
        const clock = new ManualClock();
        const arrivals: Array<{ checkpoint: string; at: number }> = [];
        const server = createServer((req, res) => {
          // /v1/fine_tuning/checkpoints/{checkpoint}/permissions
          const checkpoint = decodeURIComponent((req.url ?? '').split('/')[4] ?? '');
          arrivals.push({ checkpoint, at: clock.now() });
          if (checkpoint === 'ckpt-a') {
            res.writeHead(status, {
              'content-type': 'application/json',
              ...(retryAfter === undefined ? {} : { 'retry-after': retryAfter }),
            });
            res.end(
              JSON.stringify({ error: { message: 'slow down', type: 'requests', param: null, code: null } }),
            );
            return;
          }
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(EMPTY_PAGE));
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        try {
          const api = new SdkPermissionsApi({
            baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
            adminKey: 'sk-admin-unit-test-key',
            rateLimiter: new RateLimiter({ requestsPerSecond: 50, clock }),
            retry: { attempts: 1 },
          });
          await expect(api.list('ckpt-a')).rejects.toMatchObject({ status });
          const b = api.list('ckpt-b');
          await clock.runUntilIdle();
          await expect(b).resolves.toEqual({ exists: true, permissions: [] });
          expect(arrivals).toEqual([
            { checkpoint: 'ckpt-a', at: 0 },
            { checkpoint: 'ckpt-b', at: bStartsAt },
          ]);
        } finally {
          server.closeAllConnections();
          await new Promise((resolve) => server.close(resolve));
        }
      },
    );

    it('a pause longer than a worker waits in place fails other calls at once, with the time left', async () => {
      const clock = new ManualClock();
      const arrivals: string[] = [];
      const server = createServer((req, res) => {
        arrivals.push(req.url ?? '');
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '60' });
        res.end(
          JSON.stringify({ error: { message: 'slow down', type: 'requests', param: null, code: null } }),
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const api = new SdkPermissionsApi({
          baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
          adminKey: 'sk-admin-unit-test-key',
          rateLimiter: new RateLimiter({ requestsPerSecond: 50, clock }),
          retry: { attempts: 1 },
        });
        await expect(api.list('ckpt-a')).rejects.toMatchObject({ status: 429, retryAfterMs: 60_000 });
        clock.time = 15_000;
        const error = await api.grant('ckpt-b', ['proj_a']).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TransientError);
        expect(error).toMatchObject({ operation: 'grant', checkpoint: 'ckpt-b', retryAfterMs: 45_000 });
        expect(arrivals).toHaveLength(1);
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });
});
