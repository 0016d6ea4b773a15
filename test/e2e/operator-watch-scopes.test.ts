/**
 * WATCH_NAMESPACES=a,b where the operator may not list b (RBAC missing there): a is reconciled
 * anyway (without an Authoritative share there revoking what b's unseen shares may want),
 * /readyz, the metric and one log line say b is not synced and why, and b's shares are
 * reconciled as soon as the permission arrives.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.js';
import type { CheckpointShare } from '../../src/api/types.js';
import { CKPT, Env } from '../support/harness.js';
import { probe, scrape } from '../support/probes.js';
import { sumOf } from '../support/prometheus.js';
import { waitFor } from '../support/wait.js';

const UNREADABLE = 'team-b';
const NOT_SYNCED = 'scope not synced; retrying its list';

let env: Env;
afterEach(async () => {
  await env.close();
});

async function shareInB(): Promise<CheckpointShare | undefined> {
  return (await env.api.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace: UNREADABLE,
    name: 'other-team',
  })) as CheckpointShare;
}

function refusedListsOfB(): number {
  return env.kube
    .requests()
    .filter((r) => r.namespace === UNREADABLE && r.verb === 'list' && r.status === 403).length;
}

describe('one unreadable namespace', () => {
  it('does not stop the others; readiness, the metric and one log line name it until it can be read', async () => {
    env = await Env.start();
    await env.api.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: UNREADABLE,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'CheckpointShare',
        metadata: { name: 'other-team', namespace: UNREADABLE },
        spec: { checkpoint: CKPT, projectIds: ['proj_b'] },
      },
    });
    // Granted earlier for b's share; an Authoritative share in a must not take it for foreign
    // while b cannot be read.
    env.openai.store.addPermission(CKPT, 'proj_b');
    env.kube.faults.forbidNamespaces([UNREADABLE]);
    const operator = env.startOperator({
      WATCH_NAMESPACES: `${env.namespace},${UNREADABLE}`,
      LEADER_ELECTION: 'true',
      POD_NAMESPACE: 'default',
    });

    await env.create('weather', { projectIds: ['proj_a'], mode: 'Authoritative' });
    await env.waitForReady('weather');
    expect(env.granted()).toEqual(['proj_a', 'proj_b']);

    // Several refused lists (the retry backs off from 200 ms), yet a single line about b.
    await waitFor('four refused lists of b', () => refusedListsOfB() >= 4, { timeoutMs: 60_000 });
    const notSynced = operator.logs().filter((l) => l.msg === NOT_SYNCED);
    expect(notSynced).toHaveLength(1);
    expect(notSynced[0]).toMatchObject({ scope: UNREADABLE });
    expect(String(notSynced[0]?.err)).toContain('403');

    const unready = await probe(operator, '/readyz');
    expect(unready.status).toBe(503);
    expect(unready.body).toContain(`namespace ${UNREADABLE} not synced: Kubernetes API 403`);
    expect(unready.body).not.toContain(`namespace ${env.namespace}`);
    const { metrics } = await scrape(operator);
    expect(sumOf(metrics, 'checkpointshare_watch_scopes', { state: 'unsynced' })).toBe(1);
    expect(sumOf(metrics, 'checkpointshare_watch_scopes', { state: 'synced' })).toBe(1);

    env.kube.faults.forbidNamespaces([]);
    await waitFor('the share in b to be Ready', async () => {
      const share = await shareInB();
      const ready = share?.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' && share?.status?.observedGeneration === share?.metadata.generation;
    });
    expect(env.granted()).toEqual(['proj_a', 'proj_b']);
    expect((await probe(operator, '/readyz')).status).toBe(200);
    const after = (await scrape(operator)).metrics;
    expect(sumOf(after, 'checkpointshare_watch_scopes', { state: 'unsynced' })).toBe(0);
    expect(sumOf(after, 'checkpointshare_watch_scopes', { state: 'synced' })).toBe(2);
    expect(operator.logs().filter((l) => l.msg === NOT_SYNCED)).toHaveLength(1);
  });
});
