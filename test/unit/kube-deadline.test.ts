import { createServer, type Server } from 'node:http';
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { EventReason } from '../../src/api/constants.js';
import { ShareInformer } from '../../src/controller/share-informer.js';
import { KubeTimeoutError } from '../../src/kube/deadline.js';
import { KubeEventRecorder } from '../../src/kube/events.js';
import { LeaderElector } from '../../src/kube/leader-election.js';
import { KubeShareWriter } from '../../src/kube/share-writer.js';
import { createLogger } from '../../src/observability/logger.js';
import { share } from '../support/builders.js';
import { localKubeConfig } from '../support/local-kubeconfig.js';

/**
 * An API server that answers every request with headers at once and then never finishes the
 * body, like a stalled proxy: only a deadline over the whole exchange ends the call.
 */
async function stalledApiServer(): Promise<{ server: Server; config: KubeConfig; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"kind":');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, config: localKubeConfig(server), requests };
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

const existing = () => share('a').projects('proj_a').build();

describe('Kubernetes calls of a pass have a deadline that covers the response body', () => {
  it.each([
    {
      reason: 'status write',
      call: (writer: KubeShareWriter, signal?: AbortSignal) => writer.writeStatus(existing(), {}, signal),
      what: 'status write of',
    },
    {
      reason: 'finalizer patch',
      call: (writer: KubeShareWriter, signal?: AbortSignal) =>
        writer.addFinalizer(share('a').projects('proj_a').fresh().build(), signal),
      what: 'finalizer patch of',
    },
    {
      reason: 'get',
      call: (writer: KubeShareWriter, signal?: AbortSignal) => writer.get('ml', 'a', signal),
      what: 'get of ml/a',
    },
  ])('a $reason past its deadline fails with a timeout naming the call', async ({ call, what }) => {
    const stalled = await stalledApiServer();
    server = stalled.server;
    // The deadline covers connecting too: long enough that a loaded machine's loopback connect
    // (over 200 ms once, with two benchmarks beside the suite) still reaches the server.
    const writer = new KubeShareWriter(stalled.config.makeApiClient(CustomObjectsApi), 'test', 1000);
    const error = await call(writer).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeTimeoutError);
    expect((error as Error).message).toContain(what);
    expect((error as Error).message).toContain('timed out after 1s');
    expect(stalled.requests).toHaveLength(1);
  });

  it('a call ends with the pass’s reason as soon as the pass is aborted', async () => {
    const stalled = await stalledApiServer();
    server = stalled.server;
    const writer = new KubeShareWriter(stalled.config.makeApiClient(CustomObjectsApi), 'test', 600_000);
    const pass = new AbortController();
    const writing = writer.writeStatus(existing(), {}, pass.signal);
    await expect.poll(() => stalled.requests.length).toBe(1);
    pass.abort(new Error('the pass ran past its deadline'));
    await expect(writing).rejects.toThrow('the pass ran past its deadline');
  });

  it('an event whose answer stalls is given up after its deadline, without throwing', async () => {
    const stalled = await stalledApiServer();
    server = stalled.server;
    const errors: unknown[] = [];
    const recorder = new KubeEventRecorder(
      stalled.config.makeApiClient(CoreV1Api),
      'unit',
      (error) => errors.push(error),
      () => new Date(),
      200,
    );
    await recorder.record(existing(), EventReason.Granted, 'Granted proj_a');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(KubeTimeoutError);
  });

  it('a Lease read that stalls is cut at the renew deadline, so a standby keeps campaigning', async () => {
    const stalled = await stalledApiServer();
    server = stalled.server;
    const elector = new LeaderElector({
      api: stalled.config.makeApiClient(CoordinationV1Api),
      namespace: 'ops',
      name: 'checkpoint-share-operator',
      identity: 'unit',
      logger: createLogger({ level: 'silent' }),
      leaseDurationMs: 3_000,
      renewDeadlineMs: 300,
      retryPeriodMs: 100,
    });
    const campaign = elector.acquire(() => undefined);
    // Without a deadline the first read would hang for good and no second attempt would follow.
    await expect.poll(() => stalled.requests.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    elector.stop();
    await expect(campaign).resolves.toBe(false);
    expect(elector.holds()).toBe(false);
  });

  it('a list that stalls is cut at its deadline and retried, so the scope is not stuck unsynced', async () => {
    const stalled = await stalledApiServer();
    server = stalled.server;
    const informer = new ShareInformer(
      stalled.config,
      stalled.config.makeApiClient(CustomObjectsApi),
      { upsert: () => undefined, remove: () => undefined, keysIn: () => [] },
      {
        namespaces: ['ml'],
        logger: createLogger({ level: 'silent' }),
        listTimeoutMs: 200,
        minBackoffMs: 50,
        maxBackoffMs: 100,
      },
    );
    void informer.start();
    await expect.poll(() => stalled.requests.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    expect(informer.scopes[0]?.problem).toContain('timed out after 0.2s');
    informer.stop();
  });
});
