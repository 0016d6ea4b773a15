import { describe, expect, it } from 'vitest';
import { type DriftFigures, runDriftBench } from '../bench/drift/drift-bench.js';

/**
 * The drift benchmark (npm run bench:drift) small enough for CI: 100 checkpoints, one simulated
 * hour per mode, the same six hand-made changes. What the follower must show whatever the
 * machine: every change put right within a poll, the lag and a pass; far fewer calls than
 * listing; the organisation exactly as the shares want it at the end.
 */
const POLL_S = 30;
const LAG_S = 5;
/** A pass on a quiet operator: a list, a grant or revokes and a list, each at most 1/5 s apart. */
const PASS_S = 5;
const RESYNC_S = 600;

let figures: DriftFigures | undefined;
async function run(): Promise<DriftFigures> {
  figures ??= await runDriftBench({
    checkpoints: 100,
    shares: 200,
    seed: 7,
    lagMs: LAG_S * 1000,
    latencyMs: 100,
  });
  return figures;
}

describe('drift benchmark, 100 checkpoints', () => {
  it('leaves every checkpoint exactly as its shares want it, in both modes', async () => {
    const { follower, listing } = await run();
    expect(follower.mismatches).toEqual([]);
    expect(listing.mismatches).toEqual([]);
    expect(follower.problems).toEqual({});
    expect(listing.problems).toEqual({});
  });

  it('repairs each hand-made change within poll interval + lag + one pass when following the log', async () => {
    const { follower } = await run();
    expect(follower.repairs).toHaveLength(6);
    for (const repair of follower.repairs) {
      expect(repair.repairSeconds, repair.what).not.toBeNull();
      expect(repair.repairSeconds, repair.what).toBeLessThanOrEqual(POLL_S + LAG_S + PASS_S);
    }
  });

  it('repairs each change within RESYNC_INTERVAL and a pass when listing', async () => {
    const { listing } = await run();
    for (const repair of listing.repairs) {
      expect(repair.repairSeconds, repair.what).not.toBeNull();
      expect(repair.repairSeconds, repair.what).toBeLessThanOrEqual(RESYNC_S + PASS_S);
    }
  });

  it('reads the log every poll and lists far less than list-based drift', async () => {
    const { follower, listing, ratio } = await run();
    // One page per poll, every 30 s, for the hour.
    expect(follower.calls.audit_log).toBeGreaterThanOrEqual(115);
    expect(follower.calls.audit_log).toBeLessThanOrEqual(121);
    expect(listing.calls.audit_log).toBe(0);
    // Every checkpoint every 10 minutes.
    expect(listing.calls.list).toBeGreaterThanOrEqual(600);
    // The safety net (AUDIT_RESYNC_INTERVAL 6 h, spread) lists about a fifth of the checkpoints an hour.
    expect(follower.calls.list).toBeLessThan(listing.calls.list / 10);
    expect(follower.totalCalls).toBeLessThan(listing.totalCalls / 3);
    expect(ratio).toBeGreaterThan(3);
    // The same repairs, whoever found the drift.
    expect(follower.calls.grant).toBe(listing.calls.grant);
    expect(follower.calls.revoke).toBe(listing.calls.revoke);
  });
});
