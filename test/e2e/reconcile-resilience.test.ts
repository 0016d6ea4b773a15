import { afterEach, describe, expect, it } from 'vitest';
import { CKPT, CKPT2, Env } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

/**
 * The restarted operator must wait for the killed one's Lease to expire: short timings keep that
 * to seconds while leader election stays on, as in production.
 */
const SHORT_LEASE = { LEASE_DURATION: '6s', RENEW_DEADLINE: '4s', RETRY_PERIOD: '500ms' };

let env: Env;
afterEach(async () => {
  await env.close();
});

describe('reconciler, end to end: crashes and lost watches', () => {
  it('13. killed with SIGKILL right after a create was sent: after a restart no duplicate, no unrecorded grant, exact end state', async () => {
    env = await Env.start();
    // The create is held for 3 s and carried out even though its client dies meanwhile.
    env.openai.faults.inject({ kind: 'latency', latencyMs: 3000, operation: 'grant' });
    const first = env.startOperator(SHORT_LEASE);
    await env.create('weather', { projectIds: ['proj_a', 'proj_b', 'proj_c'] });
    await waitFor('the create call to arrive', () => env.openai.faults.pending().length === 0);
    first.signal('SIGKILL');
    await first.exited;

    // The ownership record was written before the create went out.
    const recorded = await env.get('weather');
    expect(recorded?.status?.managedProjects).toEqual(['proj_a', 'proj_b', 'proj_c']);
    await env.openai.idle();
    expect(env.granted()).toEqual(['proj_a', 'proj_b', 'proj_c']);

    env.startOperator(SHORT_LEASE);
    const ready = await env.waitForReady('weather');
    expect(env.granted()).toEqual(['proj_a', 'proj_b', 'proj_c']);
    expect(env.openai.counts().grant).toBe(1);
    expect(ready.status?.managedProjects).toEqual(['proj_a', 'proj_b', 'proj_c']);
    expect(ready.status?.grantedCount).toBe(3);
  });

  it('13b. killed while revoking: the record stays until the revoke is confirmed, and the restart finishes the job', async () => {
    env = await Env.start();
    const first = env.startOperator(SHORT_LEASE);
    await env.create('weather', { projectIds: ['proj_a', 'proj_b'] });
    await env.waitForReady('weather');
    env.openai.faults.inject({ kind: 'latency', latencyMs: 3000, operation: 'revoke' });
    await env.patchSpec('weather', { projectIds: ['proj_a'] });
    await waitFor('the delete call to arrive', () => env.openai.faults.pending().length === 0);
    first.signal('SIGKILL');
    await first.exited;
    expect((await env.get('weather'))?.status?.managedProjects).toContain('proj_b');

    env.startOperator(SHORT_LEASE);
    await waitFor('the record of proj_b to go', async () => {
      const share = await env.get('weather');
      return (
        share?.status?.managedProjects?.join() === 'proj_a' &&
        share.status.observedGeneration === share.metadata.generation
      );
    });
    expect(env.granted()).toEqual(['proj_a']);
  });

  it('14. watches dropped and history expired (410) during work: the operator still converges', async () => {
    env = await Env.start({ bookmarkIntervalMs: 200 });
    env.openai.faults.inject({ kind: 'latency', latencyMs: 100, count: 200 });
    const operator = env.startOperator({ RESYNC_INTERVAL: '1h' });
    await operator.waitForLog('the cache to sync', (l) => l.msg === 'cache synced');
    for (let i = 0; i < 6; i++) {
      // The watch is cut, a change lands while the informer is reconnecting, and on every other
      // round the history it would resume from is gone: it must relist to see the change.
      env.kube.faults.dropWatches();
      await env.create(`share${i}`, { checkpoint: i % 2 ? CKPT : CKPT2, projectIds: [`proj_s${i}`] });
      if (i % 2 === 0) env.kube.faults.expireHistory();
    }
    for (let i = 0; i < 6; i++) await env.waitForReady(`share${i}`);
    // A change made only after the last drop must still arrive through the restarted watch.
    env.kube.faults.dropWatches();
    await env.patchSpec('share0', { projectIds: ['proj_s0', 'proj_late'] });
    env.kube.faults.expireHistory();
    await waitFor('the late edit', () => env.granted(CKPT2).includes('proj_late'));
    expect(env.granted(CKPT)).toEqual(['proj_s1', 'proj_s3', 'proj_s5']);
    expect(env.granted(CKPT2)).toEqual(['proj_late', 'proj_s0', 'proj_s2', 'proj_s4']);
    expect(operator.logs().some((l) => typeof l.msg === 'string' && l.msg.includes('relisting'))).toBe(true);
  });
});
