import { ApiException, type V1Lease } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LeaderElector, type LeaseApi } from '../../src/kube/leader-election.js';
import { createLogger } from '../../src/observability/logger.js';

const NAMESPACE = 'ml-system';
const NAME = 'checkpoint-share-operator';
const LEASE_MS = 15_000;
const RENEW_DEADLINE_MS = 10_000;
const RETRY_MS = 2_000;

/**
 * One Lease in memory, with the API server's optimistic concurrency: a replace must carry the
 * resourceVersion it read. `mode` makes every call fail or hang, as an unreachable API server does.
 */
function fakeLeaseApi() {
  let stored: V1Lease | undefined;
  let version = 0;
  const state = { mode: 'ok' as 'ok' | 'errors' | 'hangs', calls: 0, writtenAt: 0 };
  const answer = <T>(value: () => T): Promise<T> => {
    state.calls++;
    if (state.mode === 'hangs') return new Promise<T>(() => undefined);
    if (state.mode === 'errors')
      return Promise.reject(new ApiException(503, 'unavailable', '{"message":"unavailable"}', {}));
    try {
      return Promise.resolve(value());
    } catch (error: unknown) {
      return Promise.reject(error);
    }
  };
  const save = (body: V1Lease): V1Lease => {
    version++;
    state.writtenAt = Date.now();
    stored = structuredClone({ ...body, metadata: { ...body.metadata, resourceVersion: String(version) } });
    return structuredClone(stored);
  };
  const api: LeaseApi = {
    readNamespacedLease: () =>
      answer(() => {
        if (!stored) throw new ApiException(404, 'not found', '{}', {});
        return structuredClone(stored);
      }),
    createNamespacedLease: ({ body }) =>
      answer(() => {
        if (stored) throw new ApiException(409, 'already exists', '{}', {});
        return save(body);
      }),
    replaceNamespacedLease: ({ body }) =>
      answer(() => {
        if (body.metadata?.resourceVersion !== stored?.metadata?.resourceVersion)
          throw new ApiException(409, 'conflict', '{}', {});
        return save(body);
      }),
  };
  return { api, state, holder: () => stored?.spec?.holderIdentity };
}

/** A replica's elector, with the log lines it writes. */
function candidate(api: LeaseApi, identity: string) {
  const lines: { msg?: string; holder?: string }[] = [];
  const logger = createLogger(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  const elector = new LeaderElector({
    api,
    namespace: NAMESPACE,
    name: NAME,
    identity,
    logger,
    leaseDurationMs: LEASE_MS,
    renewDeadlineMs: RENEW_DEADLINE_MS,
    retryPeriodMs: RETRY_MS,
  });
  const lost = vi.fn<(reason: string) => void>();
  return { elector, lost, lines, acquire: () => elector.acquire(lost) };
}

/** Advances the fake clock in steps, running every timer and promise due on the way. */
async function advance(ms: number, step = 500, each?: () => void): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += step) {
    await vi.advanceTimersByTimeAsync(step);
    each?.();
  }
}

beforeEach(() => {
  // Fakes setTimeout and Date together: the elector's timers and its clock move as one.
  vi.useFakeTimers({ now: new Date('2026-12-01T00:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('LeaderElector on a fake clock', () => {
  it('keeps holding the lease through an hour of renewals', async () => {
    const lease = fakeLeaseApi();
    const leader = candidate(lease.api, 'a');
    expect(await leader.acquire()).toBe(true);
    let checks = 0;
    await advance(60 * 60_000, 500, () => {
      expect(leader.elector.holds()).toBe(true);
      checks++;
    });
    expect(checks).toBe(7200);
    expect(leader.lost).not.toHaveBeenCalled();
    expect(lease.holder()).toBe('a');
    // One read and one replace per retry period.
    expect(lease.state.calls).toBeGreaterThan((2 * 60 * 60_000) / RETRY_MS - 10);
  });

  it.each([
    { mode: 'errors' as const, reason: 'the API server answers every Lease call with 503' },
    { mode: 'hangs' as const, reason: 'Lease calls never get an answer' },
  ])('loses leadership once when renewals fail past the renew deadline: $reason', async ({ mode }) => {
    const lease = fakeLeaseApi();
    const leader = candidate(lease.api, 'a');
    await leader.acquire();
    await advance(30_000);
    const lastRenewal = Date.now() - (Date.now() % RETRY_MS);
    lease.state.mode = mode;

    // Still leading until the renew deadline, measured from the last successful renewal.
    await advance(RENEW_DEADLINE_MS - RETRY_MS - 500);
    expect(leader.elector.holds()).toBe(true);
    expect(leader.lost).not.toHaveBeenCalled();
    await advance(RETRY_MS + 1_000);
    expect(leader.lost).toHaveBeenCalledTimes(1);
    expect(Date.now() - lastRenewal).toBeLessThan(LEASE_MS);
    expect(leader.elector.holds()).toBe(false);
    expect(leader.elector.isLeader).toBe(false);

    // Given up for good: no further attempts, no second report, even once the API recovers.
    const callsAtLoss = lease.state.calls;
    lease.state.mode = 'ok';
    await advance(5 * 60_000, 1_000);
    expect(lease.state.calls).toBe(callsAtLoss);
    expect(leader.lost).toHaveBeenCalledTimes(1);
    expect(leader.elector.holds()).toBe(false);
  });

  it('blocks writes at once when the process stalls past the renew deadline before its renew timer runs', async () => {
    const lease = fakeLeaseApi();
    const leader = candidate(lease.api, 'a');
    await leader.acquire();
    await advance(5_000);
    expect(leader.elector.holds()).toBe(true);

    // A GC pause: the wall clock moves on, no timer has had the chance to run.
    vi.setSystemTime(Date.now() + RENEW_DEADLINE_MS + 1);
    expect(leader.elector.isLeader).toBe(true);
    expect(leader.elector.holds()).toBe(false);

    // When the loop runs again it reports the loss rather than carry on as if nothing happened.
    await advance(RETRY_MS * 2);
    expect(leader.lost).toHaveBeenCalledTimes(1);
    expect(leader.elector.holds()).toBe(false);
  });

  it('a standby leaves a renewed lease alone and takes it once the holder has stopped for a lease duration', async () => {
    const lease = fakeLeaseApi();
    const leader = candidate(lease.api, 'a');
    const standby = candidate(lease.api, 'b');
    await leader.acquire();
    let tookOverAt: number | undefined;
    void standby.acquire().then((leading) => {
      if (leading) tookOverAt = Date.now();
    });

    await advance(10 * 60_000, 1_000, () => {
      expect(standby.elector.holds()).toBe(false);
      expect(leader.elector.holds()).toBe(true);
    });
    expect(tookOverAt).toBeUndefined();
    expect(lease.holder()).toBe('a');
    // It says once that it stands by and for whom, not on every poll.
    const standingBy = standby.lines.filter((l) => l.msg?.startsWith('standing by'));
    expect(standingBy).toHaveLength(1);
    expect(standingBy[0]?.holder).toBe('a');

    // The holder dies without releasing: its record stops changing.
    leader.elector.stop();
    const lastRenewal = lease.state.writtenAt;
    await advance(LEASE_MS + 2 * RETRY_MS * 1.2 + 1_000, 250);
    expect(lease.holder()).toBe('b');
    expect(tookOverAt).toBeDefined();
    expect((tookOverAt ?? 0) - lastRenewal).toBeGreaterThanOrEqual(LEASE_MS);
    expect(standby.elector.holds()).toBe(true);
    expect(leader.lost).not.toHaveBeenCalled();
  });
});
