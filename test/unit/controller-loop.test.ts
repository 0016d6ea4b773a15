import { afterEach, describe, expect, it } from 'vitest';
import {
  Controller,
  type FailurePolicy,
  type PassOutcome,
  type Reconciler,
} from '../../src/controller/controller.js';
import { WorkQueue } from '../../src/controller/work-queue.js';
import { createLogger } from '../../src/observability/logger.js';
import { waitFor } from '../support/wait.js';

type Step = { outcome: PassOutcome } | { fail: FailurePolicy };

const ok = (requeueAfterMs?: number, handedOver: string[] = []): Step => ({
  outcome: { requeueAfterMs, handedOver },
});
const fail = (backoff: FailurePolicy['backoff'], quiet = false, minDelayMs = 0): Step => ({
  fail: { backoff, quiet, minDelayMs, log: { reason: backoff } },
});

/** A reconciler that plays a script per key and records what the loop asked of it. */
function scripted(script: Record<string, Step[]>) {
  const calls: string[] = [];
  const reconciler: Reconciler<PassOutcome, FailurePolicy> = {
    async reconcile(key) {
      calls.push(`reconcile ${key}`);
      const step = script[key]?.shift() ?? ok();
      if ('fail' in step) throw step.fail;
      return step.outcome;
    },
    errorPolicy: (error) => error as FailurePolicy,
    async reportFailure(key, failure) {
      calls.push(`report ${key} ${failure.backoff}`);
    },
    summary: () => ({}),
  };
  return { reconciler, calls };
}

function loop(script: Record<string, Step[]>, keys: string[]) {
  const { reconciler, calls } = scripted(script);
  const lines: Array<Record<string, unknown>> = [];
  const results: string[] = [];
  const queue = new WorkQueue({ baseMs: 5, maxMs: 5, jitter: 0, ratePerSecond: 1000, burst: 1000 });
  const controller = new Controller({
    queue,
    reconciler,
    keys: () => keys,
    logger: createLogger({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
    metrics: { reconciled: (result) => void results.push(result) },
    workers: 2,
    recheckMs: 60_000,
  });
  return { controller, queue, calls, lines, results };
}

let stop: (() => Promise<unknown>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

describe('Controller loop: queue -> worker -> result -> backoff', () => {
  it('waits for start() before it takes any key, then runs every known key once', async () => {
    const { controller, calls, results } = loop({}, ['a', 'b']);
    stop = () => controller.stop(1000);
    expect(controller.active).toBe(false);
    controller.start();
    await waitFor('both passes', () => results.length === 2);
    expect(calls.sort()).toEqual(['reconcile a', 'reconcile b']);
    expect(results).toEqual(['success', 'success']);
  });

  it('queues the keys a pass handed over, and requeues after the outcome asks', async () => {
    const { controller, calls, results } = loop({ a: [ok(20, ['b'])] }, ['a']);
    stop = () => controller.stop(1000);
    controller.start();
    await waitFor('a again after its requeue', () => calls.filter((c) => c === 'reconcile a').length === 2);
    expect(calls).toContain('reconcile b');
    expect(results[0]).toBe('requeue_after');
  });

  it('backs a transient failure off per key, reports it, and clears the backoff on success', async () => {
    const { controller, queue, calls, lines } = loop({ a: [fail('exponential'), fail('exponential')] }, [
      'a',
    ]);
    stop = () => controller.stop(1000);
    controller.start();
    await waitFor('the third, successful pass', () => lines.some((l) => l.msg === 'reconciled'));
    expect(calls).toEqual([
      'reconcile a',
      'report a exponential',
      'reconcile a',
      'report a exponential',
      'reconcile a',
    ]);
    expect(lines.filter((l) => l.msg === 'reconcile failed').map((l) => l.retryInMs)).toEqual([5, 5]);
    expect(queue.failuresOf('a')).toBe(0);
  });

  it('retries a quiet failure (a write conflict) with backoff, without a report', async () => {
    const { controller, calls, lines } = loop({ a: [fail('exponential', true)] }, ['a']);
    stop = () => controller.stop(1000);
    controller.start();
    await waitFor('the retried pass', () => lines.some((l) => l.msg === 'reconciled'));
    expect(calls).toEqual(['reconcile a', 'reconcile a']);
    expect(lines.find((l) => l.msg === 'reconcile failed')).toMatchObject({ retryInMs: 5 });
  });

  it('drops the key of a replica that may not lead: no report, no retry', async () => {
    const { controller, calls, lines, queue } = loop({ a: [fail('none')] }, ['a']);
    stop = () => controller.stop(1000);
    controller.start();
    await waitFor('the abandoned pass', () => lines.some((l) => l.msg === 'reconcile abandoned'));
    expect(calls).toEqual(['reconcile a']);
    expect(queue.failuresOf('a')).toBe(0);
    expect(lines.some((l) => l.msg === 'reconcile failed')).toBe(false);
  });

  it('parks a terminal failure for the slow recheck, whatever the backoff says', async () => {
    const { controller, calls, lines, queue } = loop({ a: [fail('recheck', false, 100)] }, ['a']);
    stop = () => controller.stop(1000);
    controller.start();
    await waitFor('the report', () => calls.includes('report a recheck'));
    expect(lines.find((l) => l.msg === 'reconcile failed')).toMatchObject({
      retryInMs: 60_000,
      reason: 'recheck',
    });
    expect(queue.failuresOf('a')).toBe(0);
  });
});
