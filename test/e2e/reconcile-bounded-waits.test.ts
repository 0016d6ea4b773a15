import { afterEach, describe, expect, it } from 'vitest';
import { Env } from '../support/harness.js';
import { scrape } from '../support/probes.js';
import { sumOf } from '../support/prometheus.js';

let env: Env;
afterEach(async () => {
  await env.close();
});

/**
 * A proxy that sends headers at once and then stalls the body: the SDK's own timeout ends at the
 * headers, so without a deadline over the body a pass would wait minutes for each answer.
 * A trickled answer of about 80 bytes at one byte every 2 s takes nearly three minutes.
 */
const TRICKLE = { kind: 'trickle', byteIntervalMs: 2000 } as const;

describe('reconciler, end to end: bounded waits', () => {
  it('a list whose body trickles past OPENAI_REQUEST_TIMEOUT fails the pass within seconds; the retry converges', async () => {
    env = await Env.start();
    env.openai.faults.inject({ ...TRICKLE, operation: 'list', count: 3 });
    const operator = env.startOperator({ OPENAI_REQUEST_TIMEOUT: '2s' });
    await env.create('weather', { projectIds: ['proj_a'] });

    const failed = await operator.waitForLog(
      'a pass that gave up on the trickled lists',
      (l) => l.msg === 'reconcile failed',
      60_000,
    );
    expect(failed).toMatchObject({ reason: 'Retrying', error: expect.stringMatching(/timed out after 2s/) });
    // Three tries of 2 s each and the in-client backoff between them, not three trickled bodies.
    expect(failed.durationMs).toBeLessThan(60_000);

    await env.waitForReady('weather', 60_000);
    expect(env.granted()).toEqual(['proj_a']);
    const { metrics } = await scrape(operator);
    expect(
      sumOf(metrics, 'checkpointshare_openai_requests_total', { operation: 'list', code: 'timeout' }),
    ).toBe(3);
  });

  it('a create whose answer trickles past the deadline is not resent: the next pass lists and finds it', async () => {
    env = await Env.start();
    env.openai.faults.inject({ ...TRICKLE, operation: 'grant' });
    const operator = env.startOperator({ OPENAI_REQUEST_TIMEOUT: '2s' });
    await env.create('weather', { projectIds: ['proj_a'] });

    const failed = await operator.waitForLog(
      'a pass that gave up on the trickled create',
      (l) => l.msg === 'reconcile failed',
      60_000,
    );
    expect(failed.error).toMatch(/^Cannot grant permissions on .*: request timed out after 2s; retrying/);
    expect(failed.openai).toMatch(/OpenAI grant on .*timed out after 2s/);
    await env.waitForReady('weather', 60_000);
    expect(env.granted()).toEqual(['proj_a']);
    expect(env.openai.counts().grant).toBe(1);
  });
});
