import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthorizationV1Api } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { grantedPermissions, OPERATOR_NAMESPACE, renderKustomization } from '../support/deploy-manifests.js';
import { CKPT, Env } from '../support/harness.js';
import { adminClients } from './cluster-clients.js';
import { OPERATOR_SERVICE_ACCOUNT } from './control-plane.js';
import { OperatorAccount } from './operator-account.js';

const OPERATOR_USER = `system:serviceaccount:${OPERATOR_NAMESPACE}:${OPERATOR_SERVICE_ACCOUNT}`;

/** Asks the real authorizer whether `user` may do `verb` on a resource, in a namespace or cluster-wide. */
async function allowed(
  authorization: AuthorizationV1Api,
  user: string,
  attributes: { group: string; resource: string; verb: string; namespace?: string },
): Promise<boolean> {
  const [resource = '', subresource] = attributes.resource.split('/');
  const review = await authorization.createSubjectAccessReview({
    body: {
      spec: {
        user,
        groups: [
          'system:serviceaccounts',
          `system:serviceaccounts:${OPERATOR_NAMESPACE}`,
          'system:authenticated',
        ],
        resourceAttributes: {
          group: attributes.group,
          resource,
          ...(subresource ? { subresource } : {}),
          verb: attributes.verb,
          ...(attributes.namespace ? { namespace: attributes.namespace } : {}),
        },
      },
    },
  });
  return review.status?.allowed === true;
}

describe("deploy/'s RBAC as the real authorizer reads it", () => {
  it('allows the operator every rule deploy/ grants, where it grants it, and nothing nearby', async () => {
    const { config } = adminClients();
    const authorization = config.makeApiClient(AuthorizationV1Api);
    const permissions = grantedPermissions(renderKustomization(), {
      name: OPERATOR_SERVICE_ACCOUNT,
      namespace: OPERATOR_NAMESPACE,
    });
    expect(permissions.length).toBeGreaterThan(0);
    for (const p of permissions) {
      const where = p.scope === 'namespace' ? p.namespace : 'some-team';
      expect(
        await allowed(authorization, OPERATOR_USER, {
          group: p.apiGroup,
          resource: p.resource,
          verb: p.verb,
          ...(where ? { namespace: where } : {}),
        }),
        `${p.apiGroup} ${p.resource} ${p.verb} in ${where}`,
      ).toBe(true);
    }
    const refused = [
      {
        reason: 'the admin key arrives by env, never through the API',
        group: '',
        resource: 'secrets',
        verb: 'get',
      },
      {
        reason: 'the operator never deletes a share',
        group: 'checkpointshare.io',
        resource: 'checkpointshares',
        verb: 'delete',
      },
      {
        reason: 'status is written by merge patch only',
        group: 'checkpointshare.io',
        resource: 'checkpointshares/status',
        verb: 'update',
      },
      {
        reason: 'the Lease lives only in the operator namespace',
        group: 'coordination.k8s.io',
        resource: 'leases',
        verb: 'update',
        namespace: 'some-team',
      },
    ];
    for (const { reason, namespace = 'some-team', ...attributes } of refused)
      expect(await allowed(authorization, OPERATOR_USER, { ...attributes, namespace }), reason).toBe(false);
  });
});

let env: Env;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cps-rbac-'));
});
afterEach(async () => {
  await env?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the operator under deploy/ RBAC one verb short', () => {
  it.each([
    { reason: "deploy/'s rules as they are: the share converges", drop: undefined },
    {
      reason: 'without patch on checkpointshares/status: no status, no grant, the 403 in the log',
      drop: { resource: 'checkpointshares/status', verb: 'patch' },
      // Nothing can be written where a user would look: the log is the only place.
      statusSays: undefined,
    },
    {
      reason: 'without patch on checkpointshares: no finalizer, no grant, the 403 in the log and in status',
      drop: { resource: 'checkpointshares', verb: 'patch' },
      statusSays: 'cannot patch resource "checkpointshares" in API group "checkpointshare.io"',
    },
  ])('$reason', async ({ drop, statusSays }) => {
    env = await Env.start();
    const { config } = adminClients();
    const kubeconfig = join(dir, 'under-test.kubeconfig');
    writeFileSync(kubeconfig, (await OperatorAccount.create(config, env.namespace, drop)).kubeconfig);
    const operator = env.startOperator({ KUBECONFIG: kubeconfig, LEADER_ELECTION: 'true' });
    await env.create('weather', { projectIds: ['proj_a'] });
    if (!drop) {
      await env.waitForReady('weather', 60_000);
      expect(env.granted(CKPT)).toEqual(['proj_a']);
      return;
    }
    const [resource, subresource] = drop.resource.split('/');
    await operator.waitForLog(
      `the API server's 403 for ${drop.verb} on ${drop.resource}`,
      (line) => {
        const text = JSON.stringify(line);
        return (
          text.includes(`cannot ${drop.verb} resource`) &&
          text.includes(resource ?? '') &&
          (!subresource || text.includes(subresource))
        );
      },
      60_000,
    );
    const share = statusSays
      ? await env.waitForCondition('weather', 'Ready', 'False', undefined, 60_000)
      : await env.get('weather');
    if (statusSays) {
      expect(share?.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain(statusSays);
    } else {
      expect(share?.status).toBeUndefined();
    }
    if (drop.resource === 'checkpointshares') expect(share?.metadata.finalizers ?? []).toEqual([]);
    expect(env.granted(CKPT)).toEqual([]);
  });
});
