import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/flow/backoff.js';
import { TokenBucket } from '../../src/flow/token-bucket.js';

const none = { below: 0, above: 0 };

describe('backoffDelay', () => {
  it.each([
    { reason: 'the first failure waits the base', failures: 1, jitter: none, random: 0.5, ms: 100 },
    { reason: 'each further failure doubles the wait', failures: 4, jitter: none, random: 0.5, ms: 800 },
    { reason: 'the wait stops growing at the ceiling', failures: 12, jitter: none, random: 0.5, ms: 10_000 },
    {
      reason: 'a long streak of failures never overflows',
      failures: 5_000,
      jitter: none,
      random: 0.5,
      ms: 10_000,
    },
    { reason: 'zero failures is read as the first', failures: 0, jitter: none, random: 0.5, ms: 100 },
    {
      reason: 'jitter below only shortens (the OpenAI client: half fixed, half random)',
      failures: 2,
      jitter: { below: 0.5, above: 0 },
      random: 0,
      ms: 100,
    },
    {
      reason: 'and reaches the step at most',
      failures: 2,
      jitter: { below: 0.5, above: 0 },
      random: 0.999,
      ms: 200,
    },
    {
      reason: 'jitter above only lengthens (the work queue)',
      failures: 1,
      jitter: { below: 0, above: 0.2 },
      random: 0.5,
      ms: 110,
    },
    {
      reason: 'jitter both ways spreads around the step (the informer)',
      failures: 1,
      jitter: { below: 0.2, above: 0.2 },
      random: 0,
      ms: 80,
    },
    {
      reason: 'the upper end of both-way jitter',
      failures: 1,
      jitter: { below: 0.2, above: 0.2 },
      random: 1,
      ms: 120,
    },
    {
      reason: 'jitter applies past the ceiling too',
      failures: 30,
      jitter: { below: 0, above: 0.2 },
      random: 1,
      ms: 12_000,
    },
  ])('$reason', ({ failures, jitter, random, ms }) => {
    expect(backoffDelay(failures, { baseMs: 100, maxMs: 10_000, jitter }, () => random)).toBe(ms);
  });
});

describe('TokenBucket', () => {
  function bucket(ratePerSecond: number, burst: number) {
    const clock = { t: 0 };
    return { clock, tokens: new TokenBucket({ ratePerSecond, burst, now: () => clock.t }) };
  }

  it('hands out the burst at once, then reservations one interval apart, in order', () => {
    const { tokens } = bucket(10, 2);
    expect([tokens.take(), tokens.take(), tokens.take(), tokens.take()]).toEqual([0, 0, 100, 200]);
  });

  it('refills with time but never holds more than the burst', () => {
    const { clock, tokens } = bucket(10, 2);
    tokens.take();
    tokens.take();
    clock.t = 60_000;
    expect([tokens.take(), tokens.take(), tokens.take()]).toEqual([0, 0, 100]);
  });

  it('rounds a fractional wait up, so no token is used before it is due', () => {
    const { tokens } = bucket(3, 1);
    tokens.take();
    expect(tokens.take()).toBe(334);
  });

  it('refills nothing before a restart that lies in the future', () => {
    const { clock, tokens } = bucket(10, 5);
    tokens.restart(1_000, 0);
    clock.t = 500;
    expect(tokens.take()).toBe(600);
    expect(tokens.dueAt(500)).toBe(1_100);
  });
});
