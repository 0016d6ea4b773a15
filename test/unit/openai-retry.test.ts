import { describe, expect, it } from 'vitest';
import { type OpenAIPermissionError, TerminalError, TransientError } from '../../src/openai/errors.js';
import { retryIdempotent } from '../../src/openai/retry.js';

const context = { operation: 'list' as const, checkpoint: 'ft-abc' };
const transient = (retryAfterMs?: number) =>
  new TransientError('busy', retryAfterMs === undefined ? context : { ...context, retryAfterMs });
const terminal = () => new TerminalError('no', { ...context, reason: 'Unauthorized' });

/** A call that fails with the given errors in turn, then returns 'ok'. */
function failing(...errors: OpenAIPermissionError[]) {
  let calls = 0;
  const call = async () => {
    const error = errors[calls];
    calls += 1;
    if (error) throw error;
    return 'ok';
  };
  return { call, calls: () => calls };
}

function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe('retryIdempotent', () => {
  it.each([
    {
      reason: 'transient without a delay is retried after a growing backoff',
      errors: [transient(), transient()],
      expected: { result: 'ok', calls: 3, waits: [100, 200] },
    },
    {
      reason: 'a server-named delay within the cap is waited for exactly',
      errors: [transient(5000)],
      expected: { result: 'ok', calls: 2, waits: [5000] },
    },
    {
      reason: 'a server-named delay beyond the cap ends at once, for the controller to wait out',
      errors: [transient(3_600_000)],
      expected: { error: TransientError, calls: 1, waits: [] },
    },
    {
      reason: 'a terminal error is never retried',
      errors: [terminal()],
      expected: { error: TerminalError, calls: 1, waits: [] },
    },
    {
      reason: 'attempts are bounded',
      errors: [transient(), transient(), transient(), transient()],
      expected: { error: TransientError, calls: 3, waits: [100, 200] },
    },
  ])('$reason', async ({ errors, expected }) => {
    const { call, calls } = failing(...errors);
    const { waits, sleep } = recordingSleep();
    const outcome = retryIdempotent(call, {
      attempts: 3,
      baseDelayMs: 100,
      maxDelayMs: 10_000,
      sleep,
      random: () => 1,
    });
    if (expected.error) await expect(outcome).rejects.toBeInstanceOf(expected.error);
    else await expect(outcome).resolves.toBe(expected.result);
    expect(calls()).toBe(expected.calls);
    // random() = 1 gives the full ceiling; the lower half is fixed.
    expect(waits.map((w) => Math.round(w))).toEqual(expected.waits);
  });

  it('rethrows the very error the call threw', async () => {
    const error = terminal();
    const { waits, sleep } = recordingSleep();
    await expect(retryIdempotent(failing(error).call, { sleep })).rejects.toBe(error);
    expect(waits).toEqual([]);
  });

  it('keeps the backoff under maxDelayMs', async () => {
    const { call } = failing(transient(), transient(), transient(), transient(), transient());
    const { waits, sleep } = recordingSleep();
    await retryIdempotent(call, { attempts: 6, baseDelayMs: 1000, maxDelayMs: 3000, sleep, random: () => 1 });
    expect(waits).toEqual([1000, 2000, 3000, 3000, 3000]);
  });

  it('stops retrying once the caller aborts, and rethrows what the call threw', async () => {
    const caller = new AbortController();
    const error = transient();
    let calls = 0;
    const call = async () => {
      calls += 1;
      caller.abort(new Error('pass deadline'));
      throw error;
    };
    const { waits, sleep } = recordingSleep();
    await expect(retryIdempotent(call, { attempts: 3, sleep }, undefined, caller.signal)).rejects.toBe(error);
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });

  it('hands the caller’s signal to the wait between tries', async () => {
    const caller = new AbortController();
    const { call, calls } = failing(transient());
    const given: Array<AbortSignal | undefined> = [];
    await retryIdempotent(
      call,
      { sleep: async (_ms, signal) => void given.push(signal) },
      undefined,
      caller.signal,
    );
    expect(calls()).toBe(2);
    expect(given).toEqual([caller.signal]);
  });
});
