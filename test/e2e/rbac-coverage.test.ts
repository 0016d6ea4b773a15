import { afterEach, describe, expect, it } from 'vitest';
import { API_VERSION, GROUP, POLICY_KIND, POLICY_PLURAL, VERSION } from '../../src/api/constants.js';
import type { CheckpointShare } from '../../src/api/types.js';
import { grantedPermissions, renderKustomization } from '../support/deploy-manifests.js';
import { CKPT, Env, NS } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

const OPERATOR_NAMESPACE = 'checkpoint-share-system';
const SERVICE_ACCOUNT = { name: 'checkpoint-share-operator', namespace: OPERATOR_NAMESPACE };

/**
 * Rules the recorded run cannot exercise, each with the reason it is still needed. Anything
 * else granted but never called fails the test, as does any call without a rule.
 */
const NEEDED_WITHOUT_A_CALL_HERE = [
  {
    rule: 'checkpointshare.io checkpointshares get',
    reason: 'the status writer re-reads an object after a 409 Conflict, which this run does not provoke',
  },
  {
    rule: 'checkpointshare.io checkpointshares/finalizers update',
    reason:
      'clusters with OwnerReferencesPermissionEnforcement (OpenShift) check it when metadata.finalizers changes',
  },
];

let env: Env;
afterEach(async () => {
  await env.close();
});

describe('RBAC in deploy/ against the calls the operator makes', () => {
  it('every recorded call has a rule and every rule has a call (or a stated reason)', async () => {
    env = await Env.start();
    // Enforce mode, so the policy and namespace rules are exercised too (with a policy that
    // permits the share), and the operator writes the policy's status.
    await env.api.createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: POLICY_PLURAL,
      body: {
        apiVersion: API_VERSION,
        kind: POLICY_KIND,
        metadata: { name: 'everyone' },
        spec: { namespaceSelector: {}, checkpoints: ['*'], projects: ['*'] },
      },
    });
    env.startOperator({
      SHARE_POLICY: 'enforce',
      LEADER_ELECTION: 'true',
      POD_NAMESPACE: OPERATOR_NAMESPACE,
      RESYNC_INTERVAL: '1s',
      MIN_RESYNC_INTERVAL: '1s',
      // Drift below is found from the audit log: read every second, not every 30.
      AUDIT_LOG_POLL_INTERVAL: '1s',
    });
    const share = (): CheckpointShare | undefined =>
      env.kube.store.get('checkpointshares', NS, 'weather') as CheckpointShare | undefined;
    const ready = () => share()?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

    // Everything the operator does to Kubernetes: finalizer, records, status, events (created,
    // then repeated so the count is patched), the lease, and finalizer removal on delete.
    await env.create('weather', { projectIds: ['proj_a'] });
    await waitFor('Ready', ready);
    for (let round = 0; round < 2; round++) {
      const granted = env.openai.store.permissions(CKPT)[0];
      env.openai.store.removePermission(CKPT, granted?.id ?? '');
      await waitFor('the drifted grant to return', () => env.openai.store.permissions(CKPT).length === 1);
    }
    await waitFor('a repeated Granted event', () =>
      (env.kube.store.list('events', NS) as { reason?: string; count?: number }[]).some(
        (e) => e.reason === 'Granted' && (e.count ?? 0) >= 2,
      ),
    );
    await waitFor('the policy status', () =>
      env.kube.requests().some((r) => r.resource === POLICY_PLURAL && r.subresource === 'status'),
    );
    await env.delete('weather');
    await waitFor('the share to go', () => share() === undefined);

    // The test itself only created and deleted the share; polling went to the store directly.
    const calls = env.kube
      .requests()
      .filter(
        (r) =>
          r.isResourceRequest &&
          !(r.resource === 'checkpointshares' && (r.verb === 'create' || r.verb === 'delete')) &&
          !(r.resource === POLICY_PLURAL && r.verb === 'create'),
      )
      .map((r) => {
        const resource = r.subresource ? `${r.resource}/${r.subresource}` : (r.resource ?? '');
        return { key: `${r.apiGroup ?? ''} ${resource} ${r.verb}`, namespace: r.namespace };
      });
    const permissions = grantedPermissions(renderKustomization(), SERVICE_ACCOUNT);
    const covers = (call: { key: string; namespace: string | undefined }) =>
      permissions.some(
        (p) =>
          `${p.apiGroup} ${p.resource} ${p.verb}` === call.key &&
          (p.scope === 'cluster' || (p.scope === 'namespace' && p.namespace === call.namespace)),
      );

    const uncovered = [
      ...new Set(calls.filter((c) => !covers(c)).map((c) => `${c.key} in ${c.namespace ?? '(cluster)'}`)),
    ];
    expect(uncovered).toEqual([]);

    const called = new Set(calls.map((c) => c.key));
    const exempt = new Set(NEEDED_WITHOUT_A_CALL_HERE.map((e) => e.rule));
    const unused = [...new Set(permissions.map((p) => `${p.apiGroup} ${p.resource} ${p.verb}`))].filter(
      (rule) => !called.has(rule) && !exempt.has(rule),
    );
    expect(unused).toEqual([]);
    // The exemptions are real rules, not stale entries.
    for (const rule of exempt)
      expect(permissions.map((p) => `${p.apiGroup} ${p.resource} ${p.verb}`)).toContain(rule);
    // The stand-in requires a bearer token, as a cluster does: the operator sent the kubeconfig's.
    const anonymous = await fetch(`${env.kube.url}/apis/checkpointshare.io/v1alpha1/checkpointshares`);
    expect(anonymous.status).toBe(401);
    expect(env.kube.requests().filter((r) => r.status === 401)).toHaveLength(1);
    // The lease is only ever touched in the operator's own namespace.
    expect(
      calls.filter((c) => c.key.includes('leases')).every((c) => c.namespace === OPERATOR_NAMESPACE),
    ).toBe(true);
  });
});
