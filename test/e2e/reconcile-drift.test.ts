import { afterEach, describe, expect, it } from 'vitest';
import { CKPT, Env } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

let env: Env;
afterEach(async () => {
  await env.close();
});

describe('reconciler, end to end: drift, suspend, coalescing', () => {
  it('6. drift is put right: a revoked grant returns; a foreign grant stays under Managed and goes under Authoritative', async () => {
    env = await Env.start();
    // Drift found by listing; reconcile-audit-log.test.ts has it found from the audit log.
    env.startOperator({ AUDIT_LOG: 'off', RESYNC_INTERVAL: '1s', MIN_RESYNC_INTERVAL: '1s' });
    await env.create('weather', { projectIds: ['proj_a', 'proj_b'] });
    await env.waitForReady('weather');

    const lost = env.openai.store.permissions(CKPT).find((p) => p.projectId === 'proj_a');
    env.openai.store.removePermission(CKPT, lost?.id ?? '');
    await waitFor('proj_a to be granted again', () => env.granted().join() === 'proj_a,proj_b', {
      timeoutMs: 10_000,
    });

    env.openai.store.addPermission(CKPT, 'proj_foreign');
    await env.driftChecks(2);
    expect(env.granted()).toEqual(['proj_a', 'proj_b', 'proj_foreign']);

    await env.patchSpec('weather', { mode: 'Authoritative' });
    await waitFor('the foreign grant to be revoked', () => env.granted().join() === 'proj_a,proj_b', {
      timeoutMs: 10_000,
    });
    await env.waitForReady('weather');
  });

  it('8. a suspended share makes no writes, shows drift in status, and converges once resumed', async () => {
    env = await Env.start();
    env.openai.store.addPermission(CKPT, 'proj_old');
    // Each drift check is a list: the audit log's safety-net lists would come only every 6 hours.
    env.startOperator({ AUDIT_LOG: 'off', RESYNC_INTERVAL: '1s', MIN_RESYNC_INTERVAL: '1s' });
    await env.create('weather', { projectIds: ['proj_a', 'proj_b'], suspend: true, mode: 'Authoritative' });
    const suspended = await env.waitForCondition('weather', 'Ready', 'False', 'Suspended');
    // Suspend is a dry run: the message says what a resume would do, hand-made grant included.
    expect(suspended.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain(
      'on resume would grant proj_a, proj_b and revoke proj_old',
    );
    await env.driftChecks(2);
    expect(env.openai.counts()).toMatchObject({ grant: 0, revoke: 0 });
    expect(env.granted()).toEqual(['proj_old']);

    await env.patchSpec('weather', { suspend: false });
    const ready = await env.waitForReady('weather');
    expect(env.granted()).toEqual(['proj_a', 'proj_b']);
    expect(ready.status?.grantedCount).toBe(2);
  });

  it('16. fifty quick edits of one share coalesce into a handful of reconciles, and the end state is exact', async () => {
    env = await Env.start();
    const operator = env.startOperator();
    await env.create('weather', { projectIds: ['proj_a'] });
    await env.waitForReady('weather');
    // OpenAI answers in a few hundred ms in real life; the same here makes edits pile up.
    env.openai.faults.inject({ kind: 'latency', latencyMs: 150, count: 1000 });
    // Every pass logs one outcome line, a success or a failure (such as a write conflict).
    const passes = () =>
      operator.logs().filter((l) => l.msg === 'reconciled' || l.msg === 'reconcile failed').length;
    const before = passes();

    let last = await env.get('weather');
    for (let i = 1; i <= 50; i++) {
      last = await env.patchSpec('weather', { projectIds: ['proj_a', `proj_edit${i}`] });
    }
    await waitFor('the last edit to converge', async () => {
      const share = await env.get('weather');
      const ready = share?.status?.conditions?.find((c) => c.type === 'Ready');
      return share?.status?.observedGeneration === last?.metadata.generation && ready?.status === 'True';
    });
    expect(env.granted()).toEqual(['proj_a', 'proj_edit50']);
    // The pass that wrote the final status logs its outcome just after; read it through the pipe.
    const reconciles = await waitFor(
      'the last pass to be logged',
      () => passes() - before >= 1 && passes() - before,
    );
    expect(reconciles).toBeLessThanOrEqual(10);
  });

  it('17. a reconcile request annotation runs a pass at once with a fresh list, and status records it', async () => {
    env = await Env.start();
    // The default drift interval (10 minutes): only the request can explain a pass in this test.
    env.startOperator();
    await env.create('weather', { projectIds: ['proj_a', 'proj_b'] });
    await env.waitForReady('weather');
    const lost = env.openai.store.permissions(CKPT).find((p) => p.projectId === 'proj_a');
    env.openai.store.removePermission(CKPT, lost?.id ?? '');

    for (const [annotation, at] of [
      ['checkpointshare.io/reconcile-requested-at', '2026-12-02T05:00:00Z'],
      ['reconcile.fluxcd.io/requestedAt', '2026-12-02T05:01:00.123456789Z'],
    ] as const) {
      const lists = env.openai.counts().list;
      await env.annotate('weather', { 'checkpointshare.io/reconcile-requested-at': null, [annotation]: at });
      await waitFor(
        `the request ${at} to be handled`,
        async () => (await env.get('weather'))?.status?.lastHandledReconcileAt === at,
      );
      expect(env.openai.counts().list).toBeGreaterThan(lists);
      expect(env.granted()).toEqual(['proj_a', 'proj_b']);
    }
  });
});
