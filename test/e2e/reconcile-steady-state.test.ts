import { afterEach, describe, expect, it } from 'vitest';
import { CKPT, CKPT2, Env } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

/**
 * The cost of a steady state, counted in the Kubernetes stand-in's request log: so this case
 * runs only against the stand-in (npm run test:cluster runs the other drift cases on a real
 * API server).
 */
let env: Env;
afterEach(async () => {
  await env.close();
});

describe('reconciler, end to end: steady state', () => {
  it('15. steady state by listing costs one list per checkpoint per interval and no Kubernetes writes', async () => {
    env = await Env.start();
    const operator = env.startOperator({
      AUDIT_LOG: 'off',
      RESYNC_INTERVAL: '1s',
      MIN_RESYNC_INTERVAL: '1s',
    });
    await env.create('a', { projectIds: ['proj_a'] });
    await env.create('b', { projectIds: ['proj_a', 'proj_b'] });
    await env.create('c', { checkpoint: CKPT2, projectIds: ['proj_c'] });
    for (const name of ['a', 'b', 'c']) await env.waitForReady(name);
    // Let the passes that follow the last writes finish before measuring.
    await env.driftChecks(1);
    await env.driftChecks(1, CKPT2);

    env.openai.clearRequests();
    // Lease renewals are leader election's, not the reconciler's: they go on in any steady state.
    const kubeWrites = () =>
      env.kube.requests().filter((r) => r.method !== 'GET' && r.resource !== 'leases').length;
    const kubeWritesBefore = kubeWrites();
    const reconcilesBefore = operator.logs().filter((l) => l.msg === 'reconciled').length;
    const started = Date.now();
    await env.driftChecks(5);
    const elapsedS = (Date.now() - started) / 1000;

    const requests = env.openai.requests();
    expect(requests.every((r) => r.operation === 'list')).toBe(true);
    const perCheckpoint = (ckpt: string) => requests.filter((r) => r.checkpoint === ckpt).length;
    // One list per checkpoint per 1 s interval: within one of the elapsed whole seconds.
    for (const ckpt of [CKPT, CKPT2]) {
      expect(perCheckpoint(ckpt)).toBeGreaterThanOrEqual(Math.floor(elapsedS) - 1);
      expect(perCheckpoint(ckpt)).toBeLessThanOrEqual(Math.ceil(elapsedS) + 1);
    }
    expect(kubeWrites()).toBe(kubeWritesBefore);
    const passes = operator
      .logs()
      .filter((l) => l.msg === 'reconciled')
      .slice(reconcilesBefore);
    expect(passes.every((l) => l.changed === false)).toBe(true);
  });

  it('15b. steady state while following the audit log costs one read per poll, no list and no Kubernetes writes', async () => {
    env = await Env.start();
    const operator = env.startOperator({
      RESYNC_INTERVAL: '1s',
      MIN_RESYNC_INTERVAL: '1s',
      AUDIT_LOG_POLL_INTERVAL: '1s',
      AUDIT_RESYNC_INTERVAL: '1h',
    });
    await env.create('a', { projectIds: ['proj_a'] });
    await env.create('c', { checkpoint: CKPT2, projectIds: ['proj_c'] });
    for (const name of ['a', 'c']) await env.waitForReady(name);
    const polls = () => env.openai.requests().filter((r) => r.operation === 'audit_log').length;
    // Two polls after the last grant: its event has been read (and recognised as the operator's own).
    const seen = polls();
    await waitFor('two more polls', () => polls() >= seen + 2, { timeoutMs: 10_000 });

    env.openai.clearRequests();
    const kubeWrites = () =>
      env.kube.requests().filter((r) => r.method !== 'GET' && r.resource !== 'leases').length;
    const kubeWritesBefore = kubeWrites();
    const started = Date.now();
    await waitFor('five polls', () => polls() >= 5, { timeoutMs: 15_000 });
    const elapsedS = (Date.now() - started) / 1000;
    const requests = env.openai.requests();
    // RESYNC_INTERVAL=1s would list each checkpoint every second: the log makes that the 1h safety net.
    expect(requests.every((r) => r.operation === 'audit_log')).toBe(true);
    expect(requests.length).toBeLessThanOrEqual(Math.ceil(elapsedS) + 1);
    expect(kubeWrites()).toBe(kubeWritesBefore);
    expect(
      operator
        .logs()
        .some((l) => l.msg === 'following the audit log for permissions changed outside the operator'),
    ).toBe(true);
  });
});
