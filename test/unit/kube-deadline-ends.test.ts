import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigurationOptions, RequestContext } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { withDeadline } from '../../src/kube/deadline.js';

/** The signal withDeadline hands to the call, as client-node's request context receives it. */
async function signalOf(options: ConfigurationOptions): Promise<AbortSignal> {
  let carried: AbortSignal | undefined;
  const context = { setSignal: (signal: AbortSignal) => (carried = signal) } as unknown as RequestContext;
  for (const middleware of options.middleware ?? []) await middleware.pre(context).toPromise();
  if (!carried) throw new Error('withDeadline did not carry a signal');
  return carried;
}

const DEADLINE_MS = 50;

describe('the deadline of a Kubernetes call', () => {
  it.each([
    { reason: 'on its own', caller: undefined },
    { reason: 'inside a pass, whose signal outlives the call', caller: new AbortController().signal },
  ])('ends with the call: a finished call is never aborted afterwards ($reason)', async ({ caller }) => {
    let carried: AbortSignal | undefined;
    await withDeadline('status write of ml/a', DEADLINE_MS, caller, async (options) => {
      carried = await signalOf(options);
      return 'written';
    });
    const aborted: unknown[] = [];
    carried?.addEventListener('abort', () => aborted.push(carried?.reason));
    // Well past the deadline: a timer left behind would have fired by now.
    await sleep(DEADLINE_MS * 6);
    expect(aborted).toEqual([]);
    expect(carried?.aborted).toBe(false);
  });
});
