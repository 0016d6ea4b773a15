import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CKPT, CKPT2, Env, NS } from '../support/harness.js';
import type { OperatorProcess } from '../support/operator-process.js';
import { openaiCallsIn, probe, scrape } from '../support/probes.js';
import { type Exposition, samplesOf, sumOf } from '../support/prometheus.js';
import { waitFor } from '../support/wait.js';

let env: Env;
afterEach(async () => {
  await env.close();
});

const CONTROLLER = { controller: 'checkpointshare' };
const QUEUE = { name: 'checkpointshare' };

/**
 * The families docs/design.md promises, with their type and the labels every sample carries; like
 * controller-runtime's, the controller and work-queue series exist (at 0) from startup, so a
 * dashboard or alert sees 0 rather than no data.
 */
const FAMILIES: { name: string; type: string; labels: string[]; fromStartup: boolean }[] = [
  {
    name: 'controller_runtime_reconcile_total',
    type: 'counter',
    labels: ['controller', 'result'],
    fromStartup: true,
  },
  {
    name: 'controller_runtime_reconcile_errors_total',
    type: 'counter',
    labels: ['controller'],
    fromStartup: true,
  },
  {
    name: 'controller_runtime_reconcile_time_seconds',
    type: 'histogram',
    labels: ['controller'],
    fromStartup: true,
  },
  { name: 'workqueue_depth', type: 'gauge', labels: ['name'], fromStartup: true },
  { name: 'workqueue_adds_total', type: 'counter', labels: ['name'], fromStartup: true },
  { name: 'workqueue_retries_total', type: 'counter', labels: ['name'], fromStartup: true },
  { name: 'workqueue_queue_duration_seconds', type: 'histogram', labels: ['name'], fromStartup: true },
  { name: 'workqueue_work_duration_seconds', type: 'histogram', labels: ['name'], fromStartup: true },
  {
    name: 'checkpointshare_openai_requests_total',
    type: 'counter',
    labels: ['operation', 'code'],
    fromStartup: false,
  },
  {
    name: 'checkpointshare_openai_request_duration_seconds',
    type: 'histogram',
    labels: ['operation'],
    fromStartup: false,
  },
  { name: 'checkpointshare_permissions_granted_total', type: 'counter', labels: [], fromStartup: true },
  { name: 'checkpointshare_permissions_revoked_total', type: 'counter', labels: [], fromStartup: true },
  // Nothing happened in the stand-in's organisation before the operator started.
  { name: 'checkpointshare_audit_log_events_total', type: 'counter', labels: ['type'], fromStartup: true },
];

/** Checks each family's TYPE, HELP and labels; returns the families without a sample. */
function missingFamilies(metrics: Exposition): string[] {
  const missing: string[] = [];
  for (const family of FAMILIES) {
    expect(metrics.types.get(family.name), family.name).toBe(family.type);
    expect(metrics.help.get(family.name), family.name).toBeTruthy();
    const samples = samplesOf(metrics, family.type === 'histogram' ? `${family.name}_count` : family.name);
    if (samples.length === 0) missing.push(family.name);
    for (const sample of samples) {
      for (const label of family.labels) expect(sample.labels, family.name).toHaveProperty(label);
    }
  }
  return missing;
}

const countLogs = (operator: OperatorProcess, msg: string) =>
  operator.logs().filter((l) => l.msg === msg).length;

describe('operator runtime: probes, metrics and redaction', () => {
  it('right after startup every controller and work-queue series is exposed, at 0', async () => {
    env = await Env.start();
    const operator = env.startOperator();
    await waitFor('/readyz to answer 200', async () => (await probe(operator, '/readyz')).status === 200);
    const { metrics } = await scrape(operator);
    // The OpenAI request families appear with the first request; the leader's first read of the
    // audit log may already have been made, and is then their only sample.
    const missing = missingFamilies(metrics);
    for (const family of FAMILIES.filter((f) => !f.fromStartup)) {
      if (missing.includes(family.name)) continue;
      const name = family.type === 'histogram' ? `${family.name}_count` : family.name;
      expect(new Set(samplesOf(metrics, name).map((s) => s.labels.operation)), name).toEqual(
        new Set(['audit_log']),
      );
    }
    expect(FAMILIES.filter((f) => !f.fromStartup).map((f) => f.name)).toEqual(
      expect.arrayContaining(missing),
    );
    for (const family of FAMILIES.filter((f) => f.fromStartup)) {
      const name = family.type === 'histogram' ? `${family.name}_count` : family.name;
      expect(sumOf(metrics, name), name).toBe(0);
    }
    // The leader's first read of the audit log may have happened; no checkpoint was touched.
    expect(env.openai.requests().filter((r) => r.operation !== 'audit_log')).toEqual([]);
  });

  it('after create, converge, edit and delete, /healthz and /readyz answer 200 and /metrics counts exactly the calls made', async () => {
    env = await Env.start();
    const operator = env.startOperator();
    await waitFor('/readyz to answer 200', async () => (await probe(operator, '/readyz')).status === 200);

    await env.create('weather', { projectIds: ['proj_a', 'proj_b', 'proj_c'] });
    await env.create('search', { checkpoint: CKPT2, projectIds: ['proj_search', 'proj_dash'] });
    await env.waitForReady('weather');
    await env.waitForReady('search');
    const edited = await env.patchSpec('weather', { projectIds: ['proj_a', 'proj_b'] });
    await env.delete('search');
    await env.waitForGone('search');
    await waitFor('the edit to converge', async () => {
      const share = await env.get('weather');
      return share?.status?.observedGeneration === edited.metadata.generation && env.granted().length === 2;
    });
    // Every pass has logged its outcome once the last revoke is visible in OpenAI and the queue is idle.
    await env.openai.idle();
    const { metrics } = await waitFor('the metrics to show an idle queue', async () => {
      const scraped = await scrape(operator);
      return sumOf(scraped.metrics, 'workqueue_depth', QUEUE) === 0 &&
        sumOf(scraped.metrics, 'controller_runtime_reconcile_total') ===
          countLogs(operator, 'reconciled') + countLogs(operator, 'reconcile failed')
        ? scraped
        : undefined;
    });

    const health = await probe(operator, '/healthz');
    expect(health).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await probe(operator, '/readyz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect((await probe(operator, '/nope')).status).toBe(404);
    expect(health.contentType).toContain('text/plain');

    expect(missingFamilies(metrics)).toEqual([]);

    // Reconciles: one sample per result, and the totals agree with the logged outcomes.
    const results = samplesOf(metrics, 'controller_runtime_reconcile_total', CONTROLLER).map(
      (s) => s.labels.result,
    );
    expect(results.sort()).toEqual(['error', 'requeue_after', 'success']);
    const passes = countLogs(operator, 'reconciled');
    expect(passes).toBeGreaterThanOrEqual(4);
    expect(sumOf(metrics, 'controller_runtime_reconcile_total', CONTROLLER)).toBe(passes);
    expect(sumOf(metrics, 'controller_runtime_reconcile_total', { ...CONTROLLER, result: 'error' })).toBe(0);
    expect(sumOf(metrics, 'controller_runtime_reconcile_errors_total', CONTROLLER)).toBe(0);
    expect(sumOf(metrics, 'controller_runtime_reconcile_time_seconds_count', CONTROLLER)).toBe(passes);
    expect(sumOf(metrics, 'workqueue_work_duration_seconds_count', QUEUE)).toBe(passes);
    expect(sumOf(metrics, 'workqueue_queue_duration_seconds_count', QUEUE)).toBe(passes);
    expect(sumOf(metrics, 'workqueue_adds_total', QUEUE)).toBeGreaterThanOrEqual(passes);
    expect(sumOf(metrics, 'workqueue_retries_total', QUEUE)).toBe(0);

    // OpenAI requests: the counter matches what the stand-in saw, per operation, all answered 200.
    const seen = env.openai.counts();
    expect(seen).toMatchObject({ grant: 2, revoke: 3 });
    expect(openaiCallsIn(metrics)).toEqual(seen);
    expect(
      samplesOf(metrics, 'checkpointshare_openai_requests_total')
        .filter((s) => s.value > 0)
        .every((s) => s.labels.code === '200'),
    ).toBe(true);
    for (const operation of ['list', 'grant', 'revoke'] as const) {
      expect(
        sumOf(metrics, 'checkpointshare_openai_request_duration_seconds_count', { operation }),
        operation,
      ).toBe(seen[operation]);
    }
    // Permissions: 3 + 2 created; proj_c (edit) and proj_search (delete) revoked, proj_dash too.
    expect(sumOf(metrics, 'checkpointshare_permissions_granted_total')).toBe(5);
    expect(sumOf(metrics, 'checkpointshare_permissions_revoked_total')).toBe(seen.revoke);
    expect(env.granted(CKPT)).toEqual(['proj_a', 'proj_b']);
    expect(env.granted(CKPT2)).toEqual([]);
  });

  it('the admin key, and a wrong key answered with 401, appear in no log, event, status, stored object or metric', async () => {
    const marker = randomBytes(6).toString('hex');
    const key = `sk-admin-RECOGNISABLE${marker}-0123456789abcdefghij`;
    const wrongKey = `sk-admin-WRONGKEY${marker}-9876543210zyxwvutsrq`;
    env = await Env.start({ adminKey: key });
    const texts: string[] = [];
    const metricsOf = async (operator: OperatorProcess) => texts.push((await scrape(operator)).text);

    const first = env.startOperator({ LOG_LEVEL: 'debug' });
    await env.create('weather', { projectIds: ['proj_a', 'proj_b'] });
    await env.create('search', { checkpoint: CKPT2, projectIds: ['proj_search'] });
    await env.waitForReady('weather');
    await env.waitForReady('search');
    await metricsOf(first);
    await first.stop();

    // A replica with a wrong key: OpenAI answers 401 and the share reports Unauthorized.
    const wrong = env.startOperator({ OPENAI_ADMIN_KEY: wrongKey, LOG_LEVEL: 'debug' });
    await env.patchSpec('weather', { projectIds: ['proj_a', 'proj_b', 'proj_c'] });
    await env.waitForCondition('weather', 'Stalled', 'True', 'Unauthorized');
    await waitFor('an Unauthorized event', async () =>
      (await env.events('weather')).some((e) => e.reason === 'Unauthorized'),
    );
    expect(env.openai.requests().some((r) => r.status === 401)).toBe(true);
    texts.push(JSON.stringify(env.kube.store.list('checkpointshares')));
    await metricsOf(wrong);
    await wrong.stop();

    const second = env.startOperator({ LOG_LEVEL: 'debug' });
    await env.waitForReady('weather');
    await env.patchSpec('weather', { projectIds: ['proj_a'] });
    await env.delete('search');
    await env.waitForGone('search');
    await waitFor('the edit to converge', () => env.granted().join() === 'proj_a');
    await env.waitForReady('weather');
    await metricsOf(second);
    await second.stop();

    const operators = [first, wrong, second];
    for (const operator of operators) {
      expect(operator.logs().length).toBeGreaterThan(0);
      texts.push(...operator.stdout, ...operator.stderr);
    }
    const events = await env.core.listNamespacedEvent({ namespace: NS });
    expect(events.items.map((e) => e.reason)).toEqual(expect.arrayContaining(['Granted', 'Unauthorized']));
    texts.push(JSON.stringify(events.items));
    texts.push(JSON.stringify(await env.get('weather')));
    for (const resource of ['checkpointshares', 'events', 'leases', 'secrets', 'namespaces']) {
      texts.push(JSON.stringify(env.kube.store.list(resource)));
    }
    const everything = texts.join('\n');
    // The 401 text reached the operator's logs and the share (so the check below has teeth).
    expect(everything).toContain('Incorrect API key provided');

    for (const secret of [key, wrongKey, `RECOGNISABLE${marker}`, `WRONGKEY${marker}`]) {
      expect(everything.includes(secret), `${secret} leaked`).toBe(false);
    }
  });
});
