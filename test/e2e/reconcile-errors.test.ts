import { afterEach, describe, expect, it } from 'vitest';
import type { CheckpointShare } from '../../src/api/types.js';
import { CKPT, Env, OWNER } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

let env: Env;
afterEach(async () => {
  await env.close();
});

const condition = (share: CheckpointShare | undefined, type: string) =>
  share?.status?.conditions?.find((c) => c.type === type);

/** Polls the share until done() and remembers every Reconciling state seen on the way. */
async function watchReconciling(name: string, done: () => boolean): Promise<Set<string>> {
  const seen = new Set<string>();
  await waitFor(
    `${name} to finish`,
    async () => {
      const reconciling = condition(await env.get(name), 'Reconciling');
      if (reconciling) seen.add(`${reconciling.status}/${reconciling.reason}`);
      return done();
    },
    { timeoutMs: 40_000, intervalMs: 25 },
  );
  return seen;
}

describe('reconciler, end to end: errors', () => {
  it('9a. a 429 with retry-after: 2 is honoured: the next attempt waits at least 2 s; Reconciling meanwhile, then Ready', async () => {
    env = await Env.start();
    env.openai.faults.inject({ kind: 'rate-limit', retryAfterSeconds: 2, operation: 'grant' });
    env.startOperator();
    await env.create('weather', { projectIds: ['proj_a'] });
    const seen = await watchReconciling('weather', () => env.granted().length === 1);
    await env.waitForReady('weather');
    const grants = env.openai.requests().filter((r) => r.operation === 'grant');
    expect(grants.map((r) => r.status)).toEqual([429, 200]);
    const gap = (grants[1]?.time ?? 0) - (grants[0]?.time ?? 0);
    expect(gap).toBeGreaterThanOrEqual(2000);
    expect(seen).toContain('True/Retrying');
  });

  it('9b. a run of 500s backs off, with growing gaps, then converges', async () => {
    env = await Env.start();
    env.openai.faults.inject({ kind: 'server-error', operation: 'list', count: 12 });
    env.startOperator();
    await env.create('weather', { projectIds: ['proj_a'] });
    const seen = await watchReconciling('weather', () => env.granted().length === 1);
    await env.waitForReady('weather');
    const lists = env.openai.requests().filter((r) => r.operation === 'list');
    const failed = lists.filter((r) => r.status === 500);
    expect(failed).toHaveLength(12);
    const gaps = lists.slice(1, 13).map((r, i) => r.time - (lists[i]?.time ?? 0));
    // Backoff grows: the later gaps are longer than the first ones, and the run took a while.
    expect(Math.max(...gaps.slice(-3))).toBeGreaterThan(4 * Math.max(...gaps.slice(0, 2)));
    expect((lists[12]?.time ?? 0) - (lists[0]?.time ?? 0)).toBeGreaterThanOrEqual(3000);
    expect(seen).toContain('True/Retrying');
  });

  it('10. a wrong admin key stalls with Unauthorized and a Warning event, makes a bounded number of calls, and converges after a restart with the right key', async () => {
    env = await Env.start();
    const wrong = env.startOperator({
      OPENAI_ADMIN_KEY: 'sk-admin-not-the-right-key-000000',
      RESYNC_INTERVAL: '100ms',
      MIN_RESYNC_INTERVAL: '100ms',
    });
    await env.create('weather', { projectIds: ['proj_a'] });
    const stalled = await env.waitForCondition('weather', 'Stalled', 'True', 'Unauthorized');
    expect(condition(stalled, 'Ready')?.status).toBe('False');
    expect(condition(stalled, 'Reconciling')?.status).toBe('False');
    await waitFor('an Unauthorized warning event', async () =>
      (await env.events('weather')).find((e) => e.reason === 'Unauthorized' && e.type === 'Warning'),
    );
    // Fifteen drift intervals pass; a hot loop would make dozens of calls, the operator makes
    // one. A slow machine can only make fewer calls in this time, never more.
    const started = Date.now();
    await waitFor('fifteen drift intervals', () => Date.now() - started >= 1_500, {
      timeoutMs: 5_000,
      intervalMs: 100,
    });
    const requests = env.openai.requests();
    expect(requests.filter((r) => r.operation !== 'audit_log').length).toBeLessThanOrEqual(2);
    // The audit log refuses the key too: read once, then retried only every 5 minutes.
    expect(requests.filter((r) => r.operation === 'audit_log').length).toBeLessThanOrEqual(1);
    expect(env.granted()).toEqual([]);
    const log = wrong.stdout.join('\n') + wrong.stderr.join('\n');
    expect(log).not.toContain('sk-admin-not-the-right-key-000000');

    await wrong.stop();
    env.startOperator();
    await env.waitForReady('weather');
    expect(env.granted()).toEqual(['proj_a']);
  });

  it('10b. with a bad key, an Orphan share is still deleted at once, while a Revoke share waits and says why', async () => {
    env = await Env.start();
    const good = env.startOperator();
    await env.create('orphan', { projectIds: ['proj_a'], deletionPolicy: 'Orphan' });
    await env.create('revoke', { projectIds: ['proj_b'] });
    await env.waitForReady('orphan');
    await env.waitForReady('revoke');
    await good.stop();

    env.startOperator({ OPENAI_ADMIN_KEY: 'sk-admin-not-the-right-key-000000' });
    await env.delete('orphan');
    await env.delete('revoke');
    await env.waitForGone('orphan');
    const blocked = await env.waitForCondition('revoke', 'Stalled', 'True', 'Unauthorized');
    expect(blocked.metadata.deletionTimestamp).toBeDefined();
    const waiting = `Deletion is waiting: cannot revoke proj_b on ${CKPT} because OpenAI refused the admin key (401); put a valid admin key in the operator's Secret and restart the operator, or set deletionPolicy: Orphan to leave the grants`;
    expect(condition(blocked, 'Stalled')?.message).toBe(waiting);
    await waitFor('an Unauthorized warning event that says the deletion waits', async () =>
      (await env.events('revoke')).find((e) => e.reason === 'Unauthorized' && e.message === waiting),
    );
    expect(env.granted()).toEqual(['proj_a', 'proj_b']);
  });

  it('11. an unknown checkpoint stalls with CheckpointNotFound, and deleting that share is not blocked', async () => {
    env = await Env.start();
    env.startOperator();
    await env.create('ghost', {
      checkpoint: 'ft:gpt-4o-mini-2024-07-18:acme:ghost:Nope0000',
      projectIds: ['proj_a'],
    });
    const stalled = await env.waitForCondition('ghost', 'Stalled', 'True', 'CheckpointNotFound');
    expect(condition(stalled, 'Stalled')?.message).toContain('ft:gpt-4o-mini-2024-07-18:acme:ghost:Nope0000');
    await waitFor('a CheckpointNotFound warning event', async () =>
      (await env.events('ghost')).find((e) => e.reason === 'CheckpointNotFound' && e.type === 'Warning'),
    );
    await env.delete('ghost');
    await env.waitForGone('ghost');
  });

  it('12. of five projects one owns the checkpoint: four are granted, the owner is a recorded OwningProject failure', async () => {
    env = await Env.start();
    env.startOperator();
    await env.create('weather', { projectIds: ['proj_a', 'proj_b', OWNER, 'proj_c', 'proj_d'] });
    const stalled = await env.waitForCondition('weather', 'Stalled', 'True', 'OwningProject');
    expect(env.granted()).toEqual(['proj_a', 'proj_b', 'proj_c', 'proj_d']);
    expect(stalled.status?.grantedCount).toBe(4);
    expect(stalled.status?.desiredCount).toBe(5);
    expect(stalled.status?.failures).toEqual([
      {
        projectId: OWNER,
        reason: 'OwningProject',
        message:
          'it owns the checkpoint, and OpenAI does not let the owning project be modified; remove it from spec.projectIds',
      },
    ]);
    expect(condition(stalled, 'Stalled')?.message).toBe(
      `Cannot grant ${OWNER} on ${CKPT}: it owns the checkpoint, and OpenAI does not let the owning project be modified; remove it from spec.projectIds. 4 of 5 projects granted.`,
    );
    expect(stalled.status?.managedProjects).toEqual(['proj_a', 'proj_b', 'proj_c', 'proj_d']);
    await waitFor('a GrantFailed warning event', async () =>
      (await env.events('weather')).find(
        (e) =>
          e.reason === 'GrantFailed' &&
          e.message ===
            `Cannot grant ${OWNER} on ${CKPT}: it owns the checkpoint, and OpenAI does not let the owning project be modified; remove it from spec.projectIds`,
      ),
    );
    expect(env.openai.store.permissions(CKPT)).toHaveLength(4);
  });
});
