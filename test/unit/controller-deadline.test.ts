import { afterEach, describe, expect, it } from 'vitest';
import { WorkQueue } from '../../src/controller/work-queue.js';
import { TransientError } from '../../src/openai/errors.js';
import type { PermissionsApi } from '../../src/openai/permissions.js';
import { K, share } from '../support/builders.js';
import { controllerRig } from '../support/controller-rig.js';
import { waitFor } from '../support/wait.js';

/** A list that never answers: it ends only when the caller's signal aborts, as the SDK client does. */
function hangingList(signals: AbortSignal[]): PermissionsApi['list'] {
  return (checkpoint, signal) => {
    if (signal) signals.push(signal);
    return new Promise((_resolve, reject) => {
      signal?.addEventListener('abort', () =>
        reject(new TransientError('request abandoned', { operation: 'list', checkpoint })),
      );
    });
  };
}

function controllerWith(list: PermissionsApi['list'], passTimeoutMs?: number) {
  const { controller, lines } = controllerRig({
    shares: [share('a').projects('proj_a').managing('proj_a').build()],
    permissions: { list, grant: async () => ({ granted: [], failed: [] }), revoke: async () => undefined },
    queue: new WorkQueue({ baseMs: 10, maxMs: 10, jitter: 0, ratePerSecond: 100, burst: 100 }),
    ...(passTimeoutMs === undefined ? {} : { passTimeoutMs }),
  });
  return { controller, lines };
}

let stop: (() => Promise<unknown>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

describe('Controller: bounded passes', () => {
  it('cuts a pass that runs past its deadline short, fails it as transient and runs it again', async () => {
    const signals: AbortSignal[] = [];
    const hanging = hangingList(signals);
    let calls = 0;
    const { controller, lines } = controllerWith(async (checkpoint, signal) => {
      calls += 1;
      // The first list hangs forever; the retry answers.
      return calls === 1 ? hanging(checkpoint, signal) : { exists: true, permissions: [] };
    }, 200);
    stop = () => controller.stop(1000);
    controller.start();

    const failed = await waitFor('a failed pass', () => lines.find((l) => l.msg === 'reconcile failed'), {
      timeoutMs: 15_000,
    });
    expect(failed).toMatchObject({
      checkpoint: K,
      reason: 'Retrying',
      error: expect.stringContaining('deadline of 0.2s'),
    });
    expect(signals[0]?.aborted).toBe(true);
    await waitFor('the retried pass', () => lines.find((l) => l.msg === 'reconciled'), { timeoutMs: 15_000 });
    expect(calls).toBeGreaterThanOrEqual(2);
  }, 40_000);

  it('aborts the passes still in flight when the grace period of stop() is over', async () => {
    const signals: AbortSignal[] = [];
    const { controller, lines } = controllerWith(hangingList(signals));
    controller.start();
    await waitFor('the pass to reach OpenAI', () => signals.length === 1, { timeoutMs: 15_000 });

    await expect(controller.stop(50)).resolves.toBe(false);
    expect(signals[0]?.aborted).toBe(true);
    expect(lines.find((l) => l.msg === 'reconcile interrupted by shutdown')).toMatchObject({ checkpoint: K });
    expect(lines.find((l) => l.msg === 'reconcile failed')).toBeUndefined();
  }, 40_000);
});
