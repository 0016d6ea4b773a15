import { afterEach, describe, expect, it } from 'vitest';
import { CKPT, CKPT2, Env } from '../support/harness.js';
import type { OperatorProcess } from '../support/operator-process.js';
import { openaiCallsIn, probe, type Startup, scrape, startupOf } from '../support/probes.js';
import { sumOf } from '../support/prometheus.js';
import { waitFor } from '../support/wait.js';

const LEASE_NS = 'ml-system';
const LEASE = 'checkpoint-share-operator';
/**
 * Production's election with short timings, so a takeover after a crash takes seconds. The renew
 * deadline stays at 4 s: on a loaded test machine a 2 s one can run out while a process starts.
 */
const LEASE_MS = 6_000;
const RENEW_DEADLINE_MS = 4_000;
/** On a shared cluster the Lease lives in the test's own namespace, where the operator may write it. */
const leaseNamespace = () => (env.onRealCluster ? env.namespace : LEASE_NS);
const election = () => ({
  LEADER_ELECTION: 'true',
  POD_NAMESPACE: leaseNamespace(),
  LEASE_DURATION: '6s',
  RENEW_DEADLINE: '4s',
  RETRY_PERIOD: '500ms',
});

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
  acquireTime?: string;
  renewTime?: string;
}

async function lease(): Promise<LeaseSpec | undefined> {
  return (await env.lease(leaseNamespace(), LEASE))?.spec as LeaseSpec | undefined;
}

/** Starts replicas side by side and tells the one that holds the Lease from the others. */
async function startReplicas(count: number, settings: Record<string, string> = election()) {
  const processes = Array.from({ length: count }, () => env.startOperator(settings));
  const replicas = await Promise.all(
    processes.map(async (process) => ({ process, startup: await startupOf(process) })),
  );
  const holder = await waitFor(
    'a replica to hold the lease',
    async () => (await lease())?.holderIdentity || undefined,
  );
  const leader = replicas.find((r) => r.startup.identity === holder);
  const standbys = replicas.filter((r) => r.startup.identity !== holder);
  if (!leader || standbys.length !== count - 1)
    throw new Error(`lease held by ${holder}, not by one replica`);
  await leader.process.waitForLog('the leader to start its controller', (l) => l.msg === 'became leader');
  return { leader, standbys };
}

async function startPair(settings?: Record<string, string>): Promise<{ leader: Replica; standby: Replica }> {
  const { leader, standbys } = await startReplicas(2, settings);
  const [standby] = standbys;
  if (!standby) throw new Error('no standby');
  return { leader, standby };
}

/** The 'standing by' lines of a replica, each naming the holder it waits on. */
const standingBy = (replica: Replica) =>
  replica.process
    .logs()
    .filter((l) => l.msg === 'standing by: another replica holds the lease')
    .map((l) => l.holder);

const reconciledLines = (replica: Replica) => replica.process.logs().filter((l) => l.msg === 'reconciled');

async function waitForProbe(replica: Replica, path: string): Promise<void> {
  await waitFor(`${path} of ${replica.startup.identity} to answer 200`, async () => {
    const { status } = await probe(replica.process, path);
    return status === 200;
  });
}

describe('operator runtime: leader election', () => {
  it('of three replicas one holds the Lease and alone calls OpenAI; standbys say once whom they wait on; after SIGKILL a standby takes over once the lease expires and finishes later edits exactly', async () => {
    env = await Env.start();
    const { leader, standbys } = await startReplicas(3);
    const [standby, other] = standbys;
    if (!standby || !other) throw new Error('two standbys expected');
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
    expect(openaiCallsIn(standbyMetrics)).toEqual({ list: 0, grant: 0, revoke: 0, audit_log: 0 });
    expect(sumOf(leaderMetrics, 'leader_election_master_status')).toBe(1);
    expect(sumOf(standbyMetrics, 'leader_election_master_status')).toBe(0);
    // The standby keeps its cache warm but queues no work: no backlog shows on its dashboards.
    expect(sumOf(standbyMetrics, 'workqueue_depth')).toBe(0);
    expect(sumOf(standbyMetrics, 'workqueue_adds_total')).toBe(0);
    expect(sumOf(leaderMetrics, 'workqueue_adds_total')).toBeGreaterThan(0);
    expect(reconciledLines(leader).length).toBeGreaterThan(0);
    expect(reconciledLines(standby)).toEqual([]);
    expect(standby.process.logs().some((l) => l.msg === 'became leader')).toBe(false);
    expect((await lease())?.holderIdentity).toBe(leader.startup.identity);
    // Many polls of the Lease by now, one line each: who leads, so a quiet standby is explained.
    // A standby that started last may not have polled yet when the shares converge: wait for it.
    for (const s of standbys)
      await waitFor('each standby to say whom it waits on', () => standingBy(s).length > 0);
    for (const s of standbys) expect(standingBy(s)).toEqual([leader.startup.identity]);
    expect(standingBy(leader)).toEqual([]);

    leader.process.signal('SIGKILL');
    expect((await leader.process.exited).signal).toBe('SIGKILL');
    const lastRenewal = Date.parse((await lease())?.renewTime ?? '');
    // Meanwhile an edit arrives that only the next leader can carry out.
    await env.patchSpec('weather', { projectIds: ['proj_a', 'proj_d'] });
    await env.delete('search');

    const next = await waitFor('a standby to hold the lease', () =>
      lease().then((l) => standbys.find((s) => s.startup.identity === l?.holderIdentity)),
    );
    const rest = standbys.find((s) => s !== next);
    if (!rest) throw new Error('one standby should remain');
    // Not before the dead leader's record went unrenewed for a whole lease, on the same clock.
    expect(Date.parse((await lease())?.acquireTime ?? '') - lastRenewal).toBeGreaterThanOrEqual(LEASE_MS);
    expect((await lease())?.leaseTransitions).toBe(1);
    await next.process.waitForLog('the standby to lead', (l) => l.msg === 'became leader');
    // The remaining standby says so once more, now naming the new holder.
    await waitFor('the other standby to name the new holder', () => standingBy(rest).length === 2);
    expect(standingBy(rest)).toEqual([leader.startup.identity, next.startup.identity]);

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
    const newLeader = openaiCallsIn((await scrape(next.process)).metrics);
    expect(newLeader).toEqual({
      list: total.list - beforeKill.list,
      grant: total.grant - beforeKill.grant,
      audit_log: total.audit_log - beforeKill.audit_log,
      revoke: total.revoke - beforeKill.revoke,
    });
    expect(newLeader.grant).toBe(1);
    expect(newLeader.revoke).toBe(3);
    expect(openaiCallsIn((await scrape(rest.process)).metrics)).toEqual({
      list: 0,
      grant: 0,
      revoke: 0,
      audit_log: 0,
    });
  });

  it('a leader keeps leading past many renew deadlines, and creates, edits and deletes all complete', async () => {
    env = await Env.start();
    const leader = env.startOperator(election());
    const { identity, version } = await startupOf(leader);
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    await leader.waitForLog('the replica to lead', (l) => l.msg === 'became leader');
    const acquiredAt = Date.parse((await lease())?.acquireTime ?? '');
    // Renewed again and again by the same holder, three renew deadlines after it won the Lease.
    await waitFor('the lease to be renewed three renew deadlines after it was won', async () => {
      const spec = await lease();
      return (
        spec?.holderIdentity === identity &&
        Date.parse(spec.renewTime ?? '') > acquiredAt + 3 * RENEW_DEADLINE_MS
      );
    });

    await env.create('weather', { projectIds: ['proj_a', 'proj_b'] });
    await env.create('search', { checkpoint: CKPT2, projectIds: ['proj_search'] });
    await env.waitForReady('weather');
    await env.waitForReady('search');
    expect(env.granted(CKPT)).toEqual(['proj_a', 'proj_b']);
    expect(env.granted(CKPT2)).toEqual(['proj_search']);

    await env.patchSpec('weather', { projectIds: ['proj_a', 'proj_c'] });
    const edited = await waitFor('weather to converge on the edit', async () => {
      const share = await env.get('weather');
      const ready = share?.status?.conditions?.find((c) => c.type === 'Ready');
      return share?.status?.observedGeneration === share?.metadata.generation && ready?.status === 'True'
        ? share
        : undefined;
    });
    expect(env.granted(CKPT)).toEqual(['proj_a', 'proj_c']);
    expect(edited.status?.managedProjects).toEqual(['proj_a', 'proj_c']);

    await env.delete('search');
    await env.delete('weather');
    await env.waitForGone('search');
    await env.waitForGone('weather');
    expect(env.granted(CKPT)).toEqual([]);
    expect(env.granted(CKPT2)).toEqual([]);

    // One leader throughout, and no pass was turned away by the fence.
    expect((await lease())?.holderIdentity).toBe(identity);
    expect((await lease())?.leaseTransitions ?? 0).toBe(0);
    const messages = leader.logs().map((l) => l.msg);
    expect(messages).not.toContain('reconcile abandoned');
    expect(messages).not.toContain('lost leadership: could not renew the lease in time');
  });

  it('a leader stopped with SIGTERM releases the Lease: the standby takes over within seconds, not a lease duration', async () => {
    env = await Env.start();
    // Production's 15 s lease: a takeover well before it expires can only come from the release.
    const { leader, standby } = await startPair({ LEADER_ELECTION: 'true', POD_NAMESPACE: leaseNamespace() });
    await env.create('weather', { projectIds: ['proj_a'] });
    await env.waitForReady('weather');

    leader.process.signal('SIGTERM');
    const stoppedAt = Date.now();
    expect((await leader.process.exited).code).toBe(0);
    expect(leader.process.logs().map((l) => l.msg)).toContain('stopped');
    await waitFor(
      'the standby to hold the lease',
      async () => (await lease())?.holderIdentity === standby.startup.identity,
      {
        timeoutMs: 15_000,
      },
    );
    // One retry period (2 s + jitter) after the release, inside the 15 s lease.
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    await standby.process.waitForLog('the standby to lead', (l) => l.msg === 'became leader');

    await env.patchSpec('weather', { projectIds: ['proj_a', 'proj_b'] });
    await waitFor('the new leader to grant proj_b', () => env.granted().join() === 'proj_a,proj_b');
    await env.waitForReady('weather');
    expect(reconciledLines(standby).length).toBeGreaterThan(0);
    expect(env.granted()).toEqual(['proj_a', 'proj_b']);
  });
});
