import { afterEach, describe, expect, it } from 'vitest';
import { Env } from '../support/harness.js';

/**
 * Leader election under a Lease the API server refuses to serve: the stand-in's fault injection
 * makes that happen, so this case runs only against it (npm run test:cluster runs the rest of
 * leader election against a real API server).
 */
let env: Env;
afterEach(async () => {
  await env.close();
});

describe('operator runtime: leader election when the Lease cannot be renewed', () => {
  it('a leader that cannot renew the Lease stops acting and exits 1 before the lease could pass to another replica', async () => {
    env = await Env.start();
    // A gap of 4 s between giving up and a possible takeover, wide enough to see on a busy machine.
    const leader = env.startOperator({
      LEADER_ELECTION: 'true',
      POD_NAMESPACE: 'ml-system',
      LEASE_DURATION: '8s',
      RENEW_DEADLINE: '4s',
      RETRY_PERIOD: '500ms',
    });
    await leader.waitForLog('the replica to lead', (l) => l.msg === 'became leader');
    await env.create('weather', { projectIds: ['proj_a'] });
    await env.waitForReady('weather');

    // From now on every Lease request fails: the leader can neither read nor renew it.
    env.kube.faults.failNext({ count: 10_000, path: /\/leases\// });
    const { code } = await leader.exited;
    expect(code).toBe(1);
    const logs = leader.logs();
    expect(logs.map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        'lost leadership: could not renew the lease in time',
        'leadership lost; exiting',
      ]),
    );
    // The last write that set the Lease's renewTime (its creation, or a renewal).
    const renewals = env.kube
      .requests()
      .filter((r) => r.resource === 'leases' && ['create', 'update'].includes(r.verb) && r.status < 300);
    const lastRenewal = Date.parse(renewals.at(-1)?.time ?? '');
    // Stamped by the process itself, so a slow test runner does not blur it.
    const stoppedAt = Date.parse(String(logs.find((l) => l.msg === 'stopped')?.time));
    // Another replica may take the lease 8 s after the last renewal; this one was gone by then.
    // It kept trying for its renew deadline (4 s from the start of its last successful attempt,
    // a little before the server recorded it), not giving up at the first failure 0.5 s in.
    expect(stoppedAt - lastRenewal).toBeLessThan(8_000);
    expect(stoppedAt - lastRenewal).toBeGreaterThanOrEqual(3_000);
  });
});
