import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue } from '../../src/controller/work-queue.js';

const backoff = { baseMs: 100, maxMs: 1000, jitter: 0, ratePerSecond: 1000, burst: 1000 };

describe('WorkQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('deduplicates adds of a waiting key', async () => {
    const q = new WorkQueue(backoff);
    q.add('k');
    q.add('k');
    q.add('k');
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('k');
    expect(q.length).toBe(0);
  });

  it('never hands one key to two workers; an add during processing is delivered after done', async () => {
    const q = new WorkQueue(backoff);
    q.add('k');
    const first = await q.get();
    q.add('k');
    expect(q.length).toBe(0);
    let second: string | undefined;
    void q.get().then((k) => {
      second = k;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(second).toBeUndefined();
    q.done(first ?? '');
    await vi.advanceTimersByTimeAsync(0);
    expect(second).toBe('k');
  });

  it('keeps the earliest deadline of delayed adds', async () => {
    const q = new WorkQueue(backoff);
    q.addAfter('k', 5000);
    q.addAfter('k', 1000);
    q.addAfter('k', 3000);
    await vi.advanceTimersByTimeAsync(999);
    expect(q.length).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(q.length).toBe(1);
    await q.get();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(q.length).toBe(0);
  });

  it.each([
    { reason: 'first failure waits the base delay', failures: 1, delay: 100 },
    { reason: 'doubles per failure', failures: 3, delay: 400 },
    { reason: 'is capped', failures: 10, delay: 1000 },
  ])('backoff $reason', ({ failures, delay }) => {
    const q = new WorkQueue(backoff);
    let last = 0;
    for (let i = 0; i < failures; i++) last = q.addRateLimited('k');
    expect(last).toBe(delay);
  });

  it('honours a minimum delay longer than the backoff (retry-after) and resets on forget', () => {
    const q = new WorkQueue(backoff);
    expect(q.addRateLimited('k', 120_000)).toBe(120_000);
    q.forget('k');
    expect(q.addRateLimited('k')).toBe(100);
  });

  it('holds a backed-off key until its delay is over, even against earlier timers and new adds', async () => {
    const q = new WorkQueue(backoff);
    q.addAfter('k', 300);
    q.addRateLimited('k', 2000);
    q.add('k');
    await vi.advanceTimersByTimeAsync(1999);
    expect(q.length).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(q.length).toBe(1);
  });

  it('adds jitter within the configured fraction', () => {
    const q = new WorkQueue({ ...backoff, jitter: 0.5 }, undefined, () => 1);
    expect(q.addRateLimited('k')).toBe(150);
  });

  it('delays failure requeues beyond the global bucket', () => {
    const q = new WorkQueue({ ...backoff, ratePerSecond: 1, burst: 2, baseMs: 1 });
    expect(q.addRateLimited('a')).toBe(1);
    expect(q.addRateLimited('b')).toBe(1);
    expect(q.addRateLimited('c')).toBe(1000);
  });

  it('releases waiting workers on shutdown and ignores later adds', async () => {
    const q = new WorkQueue(backoff);
    const waiting = q.get();
    q.shutdown();
    expect(await waiting).toBeUndefined();
    q.add('k');
    expect(q.length).toBe(0);
  });
});
