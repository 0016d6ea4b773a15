import { afterEach, describe, expect, it } from 'vitest';
import { CKPT, Env } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

let env: Env;
afterEach(async () => {
  await env.close();
});

/** run.ts gives reconciles in flight this long after SIGTERM before it exits anyway. */
const SHUTDOWN_GRACE_MS = 30_000;

describe('operator runtime: graceful shutdown', () => {
  it('SIGTERM during a slow grant: the reconcile finishes and records what it granted, then the process says so and exits 0', async () => {
    env = await Env.start();
    env.openai.faults.inject({ kind: 'latency', latencyMs: 2000, operation: 'grant' });
    const operator = env.startOperator();
    await env.create('weather', { projectIds: ['proj_a', 'proj_b'] });
    // The grant has reached OpenAI and is held there: the reconcile is in flight.
    await waitFor('the grant to arrive', () => env.openai.faults.pending().length === 0);
    expect(env.granted()).toEqual([]);

    operator.signal('SIGTERM');
    const signalledAt = Date.now();
    const { code } = await operator.exited;
    const tookMs = Date.now() - signalledAt;

    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(SHUTDOWN_GRACE_MS);
    const logs = operator.logs();
    const messages = logs.map((l) => l.msg);
    const shuttingDown = messages.indexOf('shutting down: finishing reconciles in flight');
    const reconciled = messages.lastIndexOf('reconciled');
    expect(shuttingDown).toBeGreaterThanOrEqual(0);
    // The pass that was in flight completed after the signal, and then the process stopped.
    expect(reconciled).toBeGreaterThan(shuttingDown);
    expect(logs[reconciled]).toMatchObject({ granted: ['proj_a', 'proj_b'], result: 'success' });
    expect(logs.at(-1)).toMatchObject({ msg: 'stopped', drained: true });
    expect(logs[shuttingDown]).toMatchObject({ signal: 'SIGTERM' });

    // What OpenAI holds and what the share records agree: no grant without its record.
    expect(env.granted()).toEqual(['proj_a', 'proj_b']);
    const share = await env.get('weather');
    expect(share?.status?.managedProjects).toEqual(['proj_a', 'proj_b']);
    const stored = new Map(env.openai.store.permissions(CKPT).map((p) => [p.projectId, p.id]));
    expect(share?.status?.grants?.map((g) => [g.projectId, g.permissionId])).toEqual([
      ['proj_a', stored.get('proj_a')],
      ['proj_b', stored.get('proj_b')],
    ]);
    expect(share?.status?.observedGeneration).toBe(share?.metadata.generation);
    // Nothing was sent after the process said it stopped.
    expect(env.openai.requests().filter((r) => r.operation === 'grant')).toHaveLength(1);
  });

  it('SIGINT on an idle operator exits 0 promptly and says it stopped', async () => {
    env = await Env.start();
    const operator = env.startOperator();
    await operator.waitForLog('the cache to sync', (l) => l.msg === 'cache synced');
    operator.signal('SIGINT');
    const signalledAt = Date.now();
    const { code } = await operator.exited;
    expect(code).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(5_000);
    const logs = operator.logs();
    expect(logs).toContainEqual(
      expect.objectContaining({ msg: 'shutting down: finishing reconciles in flight', signal: 'SIGINT' }),
    );
    expect(logs.at(-1)).toMatchObject({ msg: 'stopped', drained: true });
    expect(operator.stderr).toEqual([]);
  });
});
