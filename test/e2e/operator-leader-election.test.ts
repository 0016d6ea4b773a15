import { afterEach, describe, expect, it } from 'vitest';
import { CKPT, CKPT2, Env } from '../support/harness.js';
import type { OperatorProcess } from '../support/operator-process.js';
import { openaiCallsIn, probe, type Startup, scrape, startupOf } from '../support/probes.js';
import { sumOf } from '../support/prometheus.js';
import { waitFor } from '../support/wait.js';

const LEASE_NS = 'ml-system';
const LEASE = 'checkpoint-share-operator';
const ELECTION = { LEADER_ELECTION: 'true', POD_NAMESPACE: LEASE_NS };

interface Replica {
  process: OperatorProcess;
  startup: Startup;
}

let env: Env;
afterEach(async () => {
  await env.close();
});

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  leaseTransitions?: number;
}

function lease(): LeaseSpec | undefined {
  return env.kube.store.get('leases', LEASE_NS, LEASE)?.spec as LeaseSpec | undefined;
}

/** Starts two replicas side by side and tells the one that holds the Lease from the other. */
async function startPair(): Promise<{ leader: Replica; standby: Replica }> {
  const processes = [env.startOperator(ELECTION), env.startOperator(ELECTION)];
  const replicas = await Promise.all(
    processes.map(async (process) => ({ process, startup: await startupOf(process) })),
  );
  const holder = await waitFor('a replica to hold the lease', () => lease()?.holderIdentity || undefined);
  const leader = replicas.find((r) => r.startup.identity === holder);
  const standby = replicas.find((r) => r.startup.identity !== holder);
  if (!leader || !standby) throw new Error(`lease held by ${holder}, not by either replica`);
  await leader.process.waitForLog('the leader to start its controller', (l) => l.msg === 'became leader');
  return { leader, standby };
}

const reconciledLines = (replica: Replica) => replica.process.logs().filter((l) => l.msg === 'reconciled');

async function waitForProbe(replica: Replica, path: string): Promise<void> {
  await waitFor(`${path} of ${replica.startup.identity} to answer 200`, async () => {
    const { status } = await probe(replica.process, path);
    return status === 200;
  });
}

describe('operator runtime: leader election', () => {
  it('of two replicas one holds the Lease and alone calls OpenAI; both are ready; after SIGKILL the standby takes over once the lease expires and finishes later edits exactly', async () => {
    env = await Env.start();
    const { leader, standby } = await startPair();
    await waitForProbe(leader, '/readyz');
    await waitForProbe(standby, '/readyz');

    await env.create('weather', { projectIds: ['proj_a', 'proj_b', 'proj_c'] });
    await env.create('search', { checkpoint: CKPT2, projectIds: ['proj_search'] });
    await env.waitForReady('weather');
    await env.waitForReady('search');

    // Each replica counts the OpenAI requests it made itself: all of them came from the leader.
    const leaderMetrics = (await scrape(leader.process)).metrics;
    const standbyMetrics = (await scrape(standby.process)).metrics;
    const beforeKill = env.openai.counts();
    expect(beforeKill.grant).toBe(2);
    expect(openaiCallsIn(leaderMetrics)).toEqual(beforeKill);
    expect(openaiCallsIn(standbyMetrics)).toEqual({ list: 0, grant: 0, revoke: 0 });
    expect(sumOf(leaderMetrics, 'leader_election_master_status')).toBe(1);
    expect(sumOf(standbyMetrics, 'leader_election_master_status')).toBe(0);
    // The standby keeps its cache warm but queues no work: no backlog shows on its dashboards.
    expect(sumOf(standbyMetrics, 'workqueue_depth')).toBe(0);
    expect(sumOf(standbyMetrics, 'workqueue_adds_total')).toBe(0);
    expect(sumOf(leaderMetrics, 'workqueue_adds_total')).toBeGreaterThan(0);
    expect(reconciledLines(leader).length).toBeGreaterThan(0);
    expect(reconciledLines(standby)).toEqual([]);
    expect(standby.process.logs().some((l) => l.msg === 'became leader')).toBe(false);
    expect(lease()?.holderIdentity).toBe(leader.startup.identity);

    leader.process.signal('SIGKILL');
    const killedAt = Date.now();
    expect((await leader.process.exited).signal).toBe('SIGKILL');
    // Meanwhile an edit arrives that only the next leader can carry out.
    await env.patchSpec('weather', { projectIds: ['proj_a', 'proj_d'] });
    await env.delete('search');

    // The standby waits until the dead leader's record has gone unrenewed for the whole lease
    // (15 s, on its own clock), polling every 2 s with jitter: not before ~13 s, not after ~20 s.
    await waitFor(
      'the standby to hold the lease',
      () => lease()?.holderIdentity === standby.startup.identity,
      {
        timeoutMs: 25_000,
      },
    );
    const tookOverAfterMs = Date.now() - killedAt;
    expect(tookOverAfterMs).toBeGreaterThan(12_000);
    expect(tookOverAfterMs).toBeLessThan(21_000);
    expect(lease()?.leaseTransitions).toBe(1);
    await standby.process.waitForLog('the standby to lead', (l) => l.msg === 'became leader');

    await env.waitForGone('search');
    const weather = await waitFor('weather to converge on the edit', async () => {
      const share = await env.get('weather');
      const ready = share?.status?.conditions?.find((c) => c.type === 'Ready');
      return share?.status?.observedGeneration === share?.metadata.generation && ready?.status === 'True'
        ? share
        : undefined;
    });
    expect(env.granted(CKPT)).toEqual(['proj_a', 'proj_d']);
    expect(env.granted(CKPT2)).toEqual([]);
    expect(weather.status?.managedProjects).toEqual(['proj_a', 'proj_d']);
    expect(weather.status?.grants?.map((g) => g.projectId)).toEqual(['proj_a', 'proj_d']);

    // Every request since the kill is the new leader's own.
    const total = env.openai.counts();
    const newLeader = openaiCallsIn((await scrape(standby.process)).metrics);
    expect(newLeader).toEqual({
      list: total.list - beforeKill.list,
      grant: total.grant - beforeKill.grant,
      revoke: total.revoke - beforeKill.revoke,
    });
    expect(newLeader.grant).toBe(1);
    expect(newLeader.revoke).toBe(3);
  });

  it('a leader stopped with SIGTERM releases the Lease: the standby takes over within seconds, not a lease duration', async () => {
    env = await Env.start();
    const { leader, standby } = await startPair();
    await env.create('weather', { projectIds: ['proj_a'] });
    await env.waitForReady('weather');

    leader.process.signal('SIGTERM');
    const stoppedAt = Date.now();
    expect((await leader.process.exited).code).toBe(0);
    expect(leader.process.logs().map((l) => l.msg)).toContain('stopped');
    await waitFor(
      'the standby to hold the lease',
      () => lease()?.holderIdentity === standby.startup.identity,
      {
        timeoutMs: 15_000,
      },
    );
    // One retry period (2 s + jitter) after the release, far inside the 15 s lease.
    expect(Date.now() - stoppedAt).toBeLessThan(6_000);
    await standby.process.waitForLog('the standby to lead', (l) => l.msg === 'became leader');

    await env.patchSpec('weather', { projectIds: ['proj_a', 'proj_b'] });
    await waitFor('the new leader to grant proj_b', () => env.granted().join() === 'proj_a,proj_b');
    await env.waitForReady('weather');
    expect(reconciledLines(standby).length).toBeGreaterThan(0);
    expect(env.granted()).toEqual(['proj_a', 'proj_b']);
  });
  it('a leader that cannot renew the Lease stops acting and exits 1 before the lease could pass to another replica', async () => {
    env = await Env.start();
    const leader = env.startOperator(ELECTION);
    await leader.waitForLog('the replica to lead', (l) => l.msg === 'became leader');
    await env.create('weather', { projectIds: ['proj_a'] });
    await env.waitForReady('weather');

    // From now on every Lease request fails: the leader can neither read nor renew it.
    env.kube.faults.failNext({ count: 10_000, path: /\/leases\// });
    const { code } = await leader.exited;
    const exitedAt = Date.now();
    expect(code).toBe(1);
    expect(leader.logs().map((l) => l.msg)).toEqual(
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
    // Another replica may take the lease 15 s after the last renewal; this one was gone by then.
    expect(exitedAt - lastRenewal).toBeLessThan(15_000);
    expect(exitedAt - lastRenewal).toBeGreaterThanOrEqual(10_000);
  });
});
