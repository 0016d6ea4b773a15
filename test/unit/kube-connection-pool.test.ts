import { createServer, type Server } from 'node:http';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { shareConnections } from '../../src/kube/connection-pool.js';
import { localKubeConfig } from '../support/local-kubeconfig.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** An API server that answers every list with an empty one and counts the TCP connections it accepts. */
async function countingApiServer(): Promise<{ config: KubeConfig; connections: () => number }> {
  let connections = 0;
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ apiVersion: 'checkpointshare.io/v1alpha1', kind: 'List', items: [] }));
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  // skip-verify gives client-node TLS options, the case in which it builds an Agent per request.
  return { config: localKubeConfig(server), connections: () => connections };
}

describe('Kubernetes connections', () => {
  it.each([
    { reason: 'client-node alone opens one connection per request', shared: false, most: 20, least: 20 },
    { reason: 'with shareConnections, sequential requests share a pool', shared: true, most: 2, least: 1 },
  ])('$reason', async ({ shared, most, least }) => {
    const { config, connections } = await countingApiServer();
    if (shared) shareConnections(config);
    const api = config.makeApiClient(CustomObjectsApi);
    for (let i = 0; i < 20; i++) {
      await api.listNamespacedCustomObject({
        group: 'checkpointshare.io',
        version: 'v1alpha1',
        plural: 'checkpointshares',
        namespace: 'ml',
      });
    }
    expect(connections()).toBeGreaterThanOrEqual(least);
    expect(connections()).toBeLessThanOrEqual(most);
  });
});
