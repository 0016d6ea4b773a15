/**
 * WATCH_NAMESPACES=a,b with deploy/'s rules bound in a only, as deploy/README describes for
 * watched namespaces: the real authorizer refuses b's list and watch (403), a is reconciled
 * anyway, /readyz and the scope metric name b, and b's shares are reconciled as soon as the
 * RoleBinding there exists. The stand-in's version (test/e2e/operator-watch-scopes.test.ts)
 * fakes the 403; here RBAC gives it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.js';
import type { CheckpointShare } from '../../src/api/types.js';
import { CKPT, Env } from '../support/harness.js';
import { probe, scrape } from '../support/probes.js';
import { sumOf } from '../support/prometheus.js';
import { waitFor } from '../support/wait.js';
import { adminClients, freshNamespace } from './cluster-clients.js';
import { OperatorAccount } from './operator-account.js';

const NOT_SYNCED = 'scope not synced; retrying its list';

let env: Env;
let dir: string | undefined;
let unreadable: string | undefined;
afterEach(async () => {
  await env.close();
  if (unreadable) await adminClients().core.deleteNamespace({ name: unreadable });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a watched namespace without a RoleBinding, on a real API server', () => {
  it('does not stop the others; readiness and the metric name it until RBAC lets the operator read it', async () => {
    env = await Env.start();
    const { config, core, custom } = adminClients();
    const b = await freshNamespace(core, 'cps-team-b');
    unreadable = b;
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: b,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'CheckpointShare',
        metadata: { name: 'other-team', namespace: b },
        spec: { checkpoint: CKPT, projectIds: ['proj_b'] },
      },
    });
    env.openai.store.addPermission(CKPT, 'proj_b');
    const account = await OperatorAccount.create(config, env.namespace);
    dir = mkdtempSync(join(tmpdir(), 'cps-scopes-'));
    const kubeconfig = join(dir, 'operator.kubeconfig');
    writeFileSync(kubeconfig, account.kubeconfig);
    const operator = env.startOperator({
      KUBECONFIG: kubeconfig,
      WATCH_NAMESPACES: `${env.namespace},${b}`,
      LEADER_ELECTION: 'true',
      POD_NAMESPACE: env.namespace,
    });

    // An Authoritative share in a must not take proj_b for foreign while b cannot be read.
    await env.create('weather', { projectIds: ['proj_a'], mode: 'Authoritative' });
    await env.waitForReady('weather', 60_000);
    expect(env.granted()).toEqual(['proj_a', 'proj_b']);

    const line = await operator.waitForLog('the line about b', (l) => l.msg === NOT_SYNCED, 60_000);
    expect(line).toMatchObject({ scope: b });
    expect(String(line.err)).toContain('403');
    const unready = await probe(operator, '/readyz');
    expect(unready.status).toBe(503);
    expect(unready.body).toContain(`namespace ${b} not synced: Kubernetes API 403`);
    expect(unready.body).not.toContain(`namespace ${env.namespace}`);
    const { metrics } = await scrape(operator);
    expect(sumOf(metrics, 'checkpointshare_watch_scopes', { state: 'unsynced' })).toBe(1);
    expect(sumOf(metrics, 'checkpointshare_watch_scopes', { state: 'synced' })).toBe(1);

    await account.bindIn(b);
    await waitFor(
      'the share in b to be Ready',
      async () => {
        const share = (await custom.getNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          plural: PLURAL,
          namespace: b,
          name: 'other-team',
        })) as CheckpointShare;
        const ready = share.status?.conditions?.find((c) => c.type === 'Ready');
        return ready?.status === 'True' && share.status?.observedGeneration === share.metadata.generation;
      },
      { timeoutMs: 60_000 },
    );
    expect(env.granted()).toEqual(['proj_a', 'proj_b']);
    expect((await probe(operator, '/readyz')).status).toBe(200);
    const after = (await scrape(operator)).metrics;
    expect(sumOf(after, 'checkpointshare_watch_scopes', { state: 'unsynced' })).toBe(0);
    expect(sumOf(after, 'checkpointshare_watch_scopes', { state: 'synced' })).toBe(2);
    expect(operator.logs().filter((l) => l.msg === NOT_SYNCED)).toHaveLength(1);
  });
});
