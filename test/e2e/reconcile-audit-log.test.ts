import { afterEach, describe, expect, it } from 'vitest';
import { CKPT, Env } from '../support/harness.js';
import { probe, scrape } from '../support/probes.js';
import { sumOf } from '../support/prometheus.js';
import { waitFor } from '../support/wait.js';

const POLL_MS = 2_000;
const LAG_MS = 1_000;

let env: Env;
afterEach(async () => {
  await env.close();
});

const driftMode = async (operator: ReturnType<Env['startOperator']>) => {
  const { metrics } = await scrape(operator);
  return metrics.samples
    .filter((s) => s.name === 'checkpointshare_drift_detection' && s.value === 1)
    .map((s) => `${s.labels.mode}/${s.labels.reason}`);
};

const following = (operator: ReturnType<Env['startOperator']>) =>
  waitFor('the follower to follow', async () => (await driftMode(operator)).join() === 'audit_log/following');

describe('drift from the audit log, end to end', () => {
  it('puts a hand-made revocation right within poll interval + lag + one pass, with no list in between', async () => {
    env = await Env.start();
    env.openai.auditLog.configure({ lagMs: LAG_MS });
    // Production's drift settings (RESYNC_INTERVAL 10m, AUDIT_RESYNC_INTERVAL 6h): only the log can
    // explain a repair within seconds.
    const operator = env.startOperator({ RESYNC_INTERVAL: '10m', AUDIT_LOG_POLL_INTERVAL: '2s' });
    await env.create('weather', { projectIds: ['proj_a', 'proj_b'] });
    await env.waitForReady('weather');
    await following(operator);

    // The operator's own grants are in the log: reading them queues no pass.
    const lists = env.openai.counts().list;
    const polls = env.openai.counts().audit_log;
    await waitFor('three more polls', () => env.openai.counts().audit_log >= polls + 3, {
      timeoutMs: 15_000,
    });
    expect(env.openai.counts().list).toBe(lists);

    const lost = env.openai.store.permissions(CKPT).find((p) => p.projectId === 'proj_a');
    const revokedAt = Date.now();
    env.openai.store.removePermission(CKPT, lost?.id ?? '');
    await waitFor('proj_a to be granted again', () => env.granted().join() === 'proj_a,proj_b', {
      timeoutMs: POLL_MS + LAG_MS + 10_000,
    });
    const repairMs = Date.now() - revokedAt;
    // One list (the pass the event queued) and one create: no full list of anything else.
    expect(env.openai.counts()).toMatchObject({ list: lists + 1, grant: 1 + 1 });
    expect(repairMs).toBeLessThan(POLL_MS + LAG_MS + 10_000);
    await operator.waitForLog(
      'the follower to name the checkpoint',
      (l) => l.msg === 'audit log: permissions changed outside the operator; checking their checkpoints',
    );
    const { metrics } = await scrape(operator);
    expect(
      sumOf(metrics, 'checkpointshare_audit_log_events_total', { type: 'checkpoint.permission.deleted' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sumOf(metrics, 'checkpointshare_audit_log_polls_total', { result: 'success' })).toBeGreaterThan(3);
    expect(sumOf(metrics, 'checkpointshare_audit_log_lag_seconds')).toBeLessThan(30);
  });

  it('revokes a hand-made grant under Authoritative as soon as the log shows it', async () => {
    env = await Env.start();
    const operator = env.startOperator({ RESYNC_INTERVAL: '10m', AUDIT_LOG_POLL_INTERVAL: '2s' });
    await env.create('weather', { projectIds: ['proj_a'], mode: 'Authoritative' });
    await env.waitForReady('weather');
    await following(operator);
    env.openai.store.addPermission(CKPT, 'proj_foreign');
    await waitFor('the foreign grant to be revoked', () => env.granted().join() === 'proj_a', {
      timeoutMs: 15_000,
    });
  });

  it('when audit logging goes off, auto falls back to listing at once, says why, and drift is still put right', async () => {
    env = await Env.start();
    const operator = env.startOperator({
      RESYNC_INTERVAL: '2s',
      MIN_RESYNC_INTERVAL: '1s',
      AUDIT_LOG_POLL_INTERVAL: '1s',
    });
    await env.create('weather', { projectIds: ['proj_a', 'proj_b'] });
    await env.waitForReady('weather');
    // Following: the share's next full list is hours away.
    await following(operator);
    const lists = env.openai.counts().list;
    env.openai.auditLog.configure({ enabled: false });
    const warning = await operator.waitForLog('the fallback line', (l) =>
      String(l.msg).startsWith('audit log not followed'),
    );
    expect(warning).toMatchObject({ level: 'warn', reason: 'refused' });
    expect(String(warning.error)).toContain('403');
    expect(await driftMode(operator)).toEqual(['listing/refused']);
    expect((await probe(operator, '/readyz')).status).toBe(200);
    // The checkpoint waiting out its AUDIT_RESYNC_INTERVAL is listed within RESYNC_INTERVAL.
    await waitFor('a list by RESYNC_INTERVAL', () => env.openai.counts().list > lists, { timeoutMs: 10_000 });

    // Unrecorded by the log, a hand revocation is found by listing.
    const lost = env.openai.store.permissions(CKPT).find((p) => p.projectId === 'proj_a');
    env.openai.store.removePermission(CKPT, lost?.id ?? '');
    await waitFor('proj_a to be granted again by listing', () => env.granted().join() === 'proj_a,proj_b', {
      timeoutMs: 15_000,
    });
    const { metrics } = await scrape(operator);
    expect(
      sumOf(metrics, 'checkpointshare_audit_log_polls_total', { result: 'refused' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('with AUDIT_LOG=on, a refused log turns /readyz red and says why, while drift is still found by listing', async () => {
    env = await Env.start();
    env.openai.auditLog.configure({ enabled: false });
    const operator = env.startOperator({ AUDIT_LOG: 'on', RESYNC_INTERVAL: '2s', MIN_RESYNC_INTERVAL: '1s' });
    await env.create('weather', { projectIds: ['proj_a'] });
    await env.waitForReady('weather');
    const readyz = await waitFor('/readyz to fail', async () => {
      const answer = await probe(operator, '/readyz');
      return answer.status === 503 && answer;
    });
    expect(readyz.body).toContain('AUDIT_LOG=on but the audit log is not followed (refused)');
    expect(readyz.body).not.toMatch(/sk-/);
    const error = await operator.waitForLog('the error line', (l) =>
      String(l.msg).startsWith('audit log not followed'),
    );
    expect(error.level).toBe('error');
  });

  it('with AUDIT_LOG=off, the log is never read', async () => {
    env = await Env.start();
    const operator = env.startOperator({ AUDIT_LOG: 'off', AUDIT_LOG_POLL_INTERVAL: '1s' });
    await env.create('weather', { projectIds: ['proj_a'] });
    await env.waitForReady('weather');
    expect(await driftMode(operator)).toEqual(['listing/disabled']);
    await env.create('rain', { projectIds: ['proj_b'] });
    await env.waitForReady('rain');
    expect(env.openai.counts().audit_log).toBe(0);
  });
});
