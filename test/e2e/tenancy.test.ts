/**
 * SHARE_POLICY=enforce, end to end: the operator binary against both stand-ins, with tenants in
 * namespaces labelled by team. team-a may share CKPT with proj_teamA* in Managed mode; the
 * platform team may share anything in either mode. proj_finance and proj_legal hold grants the
 * organisation's owners made by hand: no tenant may adopt, revoke or shield them.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import {
  API_VERSION,
  FINALIZER,
  GROUP,
  KIND,
  PLURAL,
  POLICY_KIND,
  POLICY_PLURAL,
  VERSION,
} from '../../src/api/constants.js';
import type { CheckpointSharePolicy, CheckpointSharePolicySpec } from '../../src/api/policy-types.js';
import type { CheckpointShare, CheckpointShareSpec } from '../../src/api/types.js';
import { CKPT, CKPT2, Env } from '../support/harness.js';
import { probe } from '../support/probes.js';
import { waitFor } from '../support/wait.js';

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const BY_HAND = ['proj_finance', 'proj_legal'];

let env: Env;
afterEach(async () => {
  await env.close();
});

const TEAM_A: CheckpointSharePolicySpec = {
  namespaceSelector: { matchLabels: { team: 'a' } },
  checkpoints: [CKPT],
  projects: ['proj_teamA*'],
  modes: ['Managed'],
};
const PLATFORM: CheckpointSharePolicySpec = {
  namespaceSelector: { matchLabels: { team: 'platform' } },
  checkpoints: ['ft:*'],
  projects: ['*'],
  modes: ['Managed', 'Authoritative'],
};

/** Both stand-ins, namespaces team-a and platform, both policies, hand-made grants, then the operator. */
async function tenants(settings: Record<string, string> = { SHARE_POLICY: 'enforce' }): Promise<Env> {
  env = await Env.start();
  await namespace('team-a', { team: 'a' });
  await namespace('platform', { team: 'platform' });
  await createPolicy('team-a', TEAM_A);
  await createPolicy('platform', PLATFORM);
  for (const project of BY_HAND) env.openai.store.addPermission(CKPT, project);
  // A long drift interval: anything that happens at once was driven by a watch event.
  env.startOperator({ RESYNC_INTERVAL: '1h', ...settings });
  return env;
}

async function namespace(name: string, labels: Record<string, string>): Promise<void> {
  await env.core.createNamespace({ body: { metadata: { name, labels } } });
}

async function createPolicy(name: string, spec: CheckpointSharePolicySpec): Promise<void> {
  await env.api.createClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: POLICY_PLURAL,
    body: { apiVersion: API_VERSION, kind: POLICY_KIND, metadata: { name }, spec },
  });
}

async function patchPolicy(name: string, spec: Partial<CheckpointSharePolicySpec>): Promise<void> {
  await env.api.patchClusterCustomObject(
    { group: GROUP, version: VERSION, plural: POLICY_PLURAL, name, body: { spec } },
    MERGE_PATCH,
  );
}

async function getPolicy(name: string): Promise<CheckpointSharePolicy> {
  return (await env.api.getClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: POLICY_PLURAL,
    name,
  })) as CheckpointSharePolicy;
}

async function create(ns: string, name: string, spec: Partial<CheckpointShareSpec>): Promise<void> {
  await env.api.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace: ns,
    body: {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name, namespace: ns },
      spec: { checkpoint: CKPT, ...spec },
    },
  });
}

async function patch(ns: string, name: string, spec: Partial<CheckpointShareSpec>): Promise<CheckpointShare> {
  return (await env.api.patchNamespacedCustomObject(
    { group: GROUP, version: VERSION, plural: PLURAL, namespace: ns, name, body: { spec } },
    MERGE_PATCH,
  )) as CheckpointShare;
}

async function get(ns: string, name: string): Promise<CheckpointShare> {
  return (await env.api.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace: ns,
    name,
  })) as CheckpointShare;
}

/** Waits until the share's status is current and its condition is as given. */
function condition(
  ns: string,
  name: string,
  type: string,
  status: string,
  reason?: string,
): Promise<CheckpointShare> {
  return waitFor(`${ns}/${name} ${type}=${status} ${reason ?? ''}`, async () => {
    const share = await get(ns, name);
    const found = share.status?.conditions?.find((c) => c.type === type);
    return share.status?.observedGeneration === share.metadata.generation &&
      found?.status === status &&
      (reason === undefined || found.reason === reason)
      ? share
      : undefined;
  });
}

const stalledMessage = (share: CheckpointShare) =>
  share.status?.conditions?.find((c) => c.type === 'Stalled')?.message ?? '';

async function policyDeniedEvents(ns: string, name: string): Promise<{ type: string; message: string }[]> {
  const list = await env.core.listNamespacedEvent({ namespace: ns });
  return list.items
    .filter((e) => e.involvedObject.name === name && e.reason === 'PolicyDenied')
    .map((e) => ({ type: e.type ?? '', message: e.message ?? '' }));
}

const writes = () => {
  const counts = env.openai.counts();
  return { grant: counts.grant, revoke: counts.revoke };
};

describe('tenancy, SHARE_POLICY=enforce', () => {
  it('a project outside the policy is never granted: PolicyDenied in failures, Stalled, one Warning event', async () => {
    await tenants();
    await create('team-a', 'mixed', { projectIds: ['proj_teamA1', 'proj_outsider'] });
    const share = await condition('team-a', 'mixed', 'Stalled', 'True', 'PolicyDenied');
    await waitFor('proj_teamA1 granted', () => env.granted().includes('proj_teamA1'));
    expect(env.granted()).toEqual(['proj_finance', 'proj_legal', 'proj_teamA1']);
    expect(share.status?.failures).toEqual([
      expect.objectContaining({ projectId: 'proj_outsider', reason: 'PolicyDenied' }),
    ]);
    expect(stalledMessage(share)).toContain('proj_outsider');
    expect(share.status?.managedProjects).toEqual(['proj_teamA1']);
    const events = await waitFor('the PolicyDenied event', async () => {
      const found = await policyDeniedEvents('team-a', 'mixed');
      return found.length > 0 ? found : undefined;
    });
    expect(events).toEqual([{ type: 'Warning', message: expect.stringContaining('proj_outsider') }]);
  });

  it('a share on a checkpoint outside its policy makes no OpenAI write and carries no finalizer', async () => {
    await tenants();
    await create('team-a', 'elsewhere', { checkpoint: CKPT2, projectIds: ['proj_teamA1'] });
    const share = await condition('team-a', 'elsewhere', 'Stalled', 'True', 'PolicyDenied');
    expect(stalledMessage(share)).toContain(CKPT2);
    expect(writes()).toEqual({ grant: 0, revoke: 0 });
    expect(env.granted(CKPT2)).toEqual([]);
    expect(share.metadata.finalizers ?? []).not.toContain(FINALIZER);
    expect(share.status).toMatchObject({ desiredCount: 1, grantedCount: 0, managedProjects: [] });
  });

  it('attack 1, adopt then drop: listing a hand-made grant and removing it revokes nothing', async () => {
    await tenants();
    await create('team-a', 'grab', { projectIds: ['proj_teamA1', 'proj_finance'] });
    const grabbing = await condition('team-a', 'grab', 'Stalled', 'True', 'PolicyDenied');
    expect(grabbing.status?.managedProjects).not.toContain('proj_finance');
    const dropped = await patch('team-a', 'grab', { projectIds: ['proj_teamA1'] });
    await waitFor('the drop to be reconciled', async () => {
      const share = await get('team-a', 'grab');
      return share.status?.observedGeneration === dropped.metadata.generation;
    });
    await condition('team-a', 'grab', 'Ready', 'True');
    expect(env.granted()).toEqual(['proj_finance', 'proj_legal', 'proj_teamA1']);
    expect(writes().revoke).toBe(0);
  });

  it('attack 2, Authoritative in a Managed-only namespace revokes nothing; the platform may', async () => {
    await tenants();
    await create('team-a', 'takeover', { mode: 'Authoritative', projectIds: ['proj_teamA1'] });
    const share = await condition('team-a', 'takeover', 'Stalled', 'True', 'PolicyDenied');
    expect(stalledMessage(share)).toContain('mode Authoritative');
    expect(writes()).toEqual({ grant: 0, revoke: 0 });
    expect(env.granted()).toEqual(BY_HAND);

    // The same mode from the platform namespace is allowed, and does what Authoritative does.
    await create('platform', 'owner', { mode: 'Authoritative', projectIds: ['proj_finance'] });
    await condition('platform', 'owner', 'Ready', 'True');
    await waitFor('proj_legal revoked by the platform', () => !env.granted().includes('proj_legal'));
    expect(env.granted()).toEqual(['proj_finance']);
  });

  it('attack 3, a suspended tenant share shields nothing it may not name', async () => {
    await tenants();
    await create('platform', 'legal', { projectIds: ['proj_legal'] });
    const adopted = await condition('platform', 'legal', 'Ready', 'True');
    expect(adopted.status?.managedProjects).toEqual(['proj_legal']);
    await create('team-a', 'shield', { suspend: true, projectIds: ['proj_legal'] });
    await condition('team-a', 'shield', 'Stalled', 'True', 'PolicyDenied');
    await patch('platform', 'legal', { projectIds: [] });
    await waitFor(
      'proj_legal revoked despite the suspended share',
      () => !env.granted().includes('proj_legal'),
    );
    expect(env.granted()).toEqual(['proj_finance']);
  });

  it('narrowing a policy revokes exactly the grants it no longer permits, at once', async () => {
    await tenants();
    await create('team-a', 'two', { projectIds: ['proj_teamA1', 'proj_teamA2'] });
    await condition('team-a', 'two', 'Ready', 'True');
    expect(env.granted()).toEqual(['proj_finance', 'proj_legal', 'proj_teamA1', 'proj_teamA2']);
    const before = writes();

    await patchPolicy('team-a', { projects: ['proj_teamA1'] });
    await waitFor('proj_teamA2 revoked', () => !env.granted().includes('proj_teamA2'));
    const share = await condition('team-a', 'two', 'Stalled', 'True', 'PolicyDenied');
    expect(env.granted()).toEqual(['proj_finance', 'proj_legal', 'proj_teamA1']);
    expect(writes()).toEqual({ grant: before.grant, revoke: before.revoke + 1 });
    expect(share.status?.managedProjects).toEqual(['proj_teamA1']);
    expect(share.status?.failures).toEqual([
      expect.objectContaining({ projectId: 'proj_teamA2', reason: 'PolicyDenied' }),
    ]);

    // Widening it again grants at once, without waiting for the one-hour drift check.
    await patchPolicy('team-a', { projects: ['proj_teamA*'] });
    await condition('team-a', 'two', 'Ready', 'True');
    expect(env.granted()).toEqual(['proj_finance', 'proj_legal', 'proj_teamA1', 'proj_teamA2']);
  });

  it('keeps watching policies and namespaces after the watches drop and their history expires', async () => {
    await tenants();
    await create('team-a', 'two', { projectIds: ['proj_teamA1', 'proj_teamA2'] });
    await condition('team-a', 'two', 'Ready', 'True');
    const operator = env.operators[0];
    const watchesBefore = env.kube
      .requests()
      .filter((r) => r.verb === 'watch' && r.resource === POLICY_PLURAL).length;
    env.kube.faults.expireHistory();
    env.kube.faults.dropWatches();
    // A change made while no watch is open must still arrive: through the relist after 410 Gone.
    await patchPolicy('team-a', { projects: ['proj_teamA2'] });
    await waitFor('proj_teamA1 revoked', () => !env.granted().includes('proj_teamA1'));
    expect(env.granted()).toEqual(['proj_finance', 'proj_legal', 'proj_teamA2']);
    expect(
      env.kube.requests().filter((r) => r.verb === 'watch' && r.resource === POLICY_PLURAL).length,
    ).toBeGreaterThan(watchesBefore);
    const policyLists = env.kube.requests().filter((r) => r.verb === 'list' && r.resource === POLICY_PLURAL);
    expect(policyLists.length).toBeGreaterThan(1);
    expect(operator?.logs().filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
  });

  it('a namespace label change re-evaluates its shares at once', async () => {
    await tenants();
    await namespace('team-c', {});
    await create('team-c', 'newcomer', { projectIds: ['proj_teamA7'] });
    await condition('team-c', 'newcomer', 'Stalled', 'True', 'PolicyDenied');
    expect(writes()).toEqual({ grant: 0, revoke: 0 });

    await env.core.patchNamespace(
      { name: 'team-c', body: { metadata: { labels: { team: 'a' } } } },
      MERGE_PATCH,
    );
    await condition('team-c', 'newcomer', 'Ready', 'True');
    expect(env.granted()).toContain('proj_teamA7');

    await env.core.patchNamespace(
      { name: 'team-c', body: { metadata: { labels: { team: null } } } },
      MERGE_PATCH,
    );
    await waitFor('proj_teamA7 revoked', () => !env.granted().includes('proj_teamA7'));
    const refused = await condition('team-c', 'newcomer', 'Stalled', 'True', 'PolicyDenied');
    // Its records are gone, so a refused share lets go of its finalizer.
    await waitFor('the finalizer to go', async () => {
      const share = await get('team-c', 'newcomer');
      return !(share.metadata.finalizers ?? []).includes(FINALIZER);
    });
    expect(refused.status?.managedProjects).toEqual([]);
    expect(env.granted()).toEqual(BY_HAND);
  });

  it('decides nothing until every policy is listed, and /readyz says what it waits for', async () => {
    env = await Env.start();
    await namespace('team-a', { team: 'a' });
    await createPolicy('team-a', TEAM_A);
    for (const project of BY_HAND) env.openai.store.addPermission(CKPT, project);
    await create('team-a', 'early', { projectIds: ['proj_teamA1'] });
    // Until the policies can be listed, no verdict exists: the share must wait, not be refused.
    env.kube.faults.failNext({ count: 100_000, code: 500, method: 'GET', path: /checkpointsharepolicies/ });
    const operator = env.startOperator({ SHARE_POLICY: 'enforce', RESYNC_INTERVAL: '1h' });
    const unready = await waitFor('/readyz to name the policies', async () => {
      const answer = await probe(operator, '/readyz');
      return answer.status === 503 && answer.body.includes('CheckpointSharePolicies') ? answer : undefined;
    });
    expect(unready.body).toContain('CheckpointSharePolicies not synced');
    expect(writes()).toEqual({ grant: 0, revoke: 0 });
    expect((await get('team-a', 'early')).status).toBeUndefined();

    env.kube.faults.clear();
    await condition('team-a', 'early', 'Ready', 'True');
    expect((await probe(operator, '/readyz')).status).toBe(200);
    expect(env.granted()).toEqual(['proj_finance', 'proj_legal', 'proj_teamA1']);
  });

  it('reports a policy it cannot use as Ready=False, and one it can as Ready=True', async () => {
    await tenants();
    await createPolicy('broken', {
      namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In' }] },
      checkpoints: [CKPT],
      projects: ['*'],
      modes: ['Managed'],
    });
    const broken = await waitFor('broken to be reported', async () => {
      const ready = (await getPolicy('broken')).status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'False' ? ready : undefined;
    });
    expect(broken).toMatchObject({ reason: 'InvalidPolicy', message: expect.stringContaining('values') });
    const ready = await waitFor('team-a to be reported', async () =>
      (await getPolicy('team-a')).status?.conditions?.find((c) => c.type === 'Ready'),
    );
    expect(ready).toMatchObject({ status: 'True', reason: 'PolicyAccepted' });
  });
});

describe('tenancy, SHARE_POLICY=open (the default)', () => {
  it('ignores the policies: adopt then drop revokes the hand-made grant, as without tenancy', async () => {
    await tenants({});
    await create('team-a', 'grab', { projectIds: ['proj_teamA1', 'proj_finance'] });
    const adopted = await condition('team-a', 'grab', 'Ready', 'True');
    expect(adopted.status?.managedProjects).toEqual(['proj_finance', 'proj_teamA1']);
    await patch('team-a', 'grab', { projectIds: ['proj_teamA1'] });
    await waitFor('proj_finance revoked', () => !env.granted().includes('proj_finance'));
    expect(env.granted()).toEqual(['proj_legal', 'proj_teamA1']);
    const policy = await getPolicy('team-a');
    expect(policy.status).toBeUndefined();
  });
});
