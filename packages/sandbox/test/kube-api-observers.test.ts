/**
 * What a benchmark or test may observe of the Kubernetes stand-in without a client of its own:
 * the change feed of its store, and the TCP connections it accepted.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type KubeObject,
  type KubeStandIn,
  type StoredChange,
  startKubeStandIn,
} from '../src/kube-api/index.js';
import { share } from './support/kube-stand-in.js';

let kube: KubeStandIn | undefined;
afterEach(async () => {
  await kube?.close();
  kube = undefined;
});

/** One GET of /healthz on `agent` (a keep-alive agent reuses its connection). */
function healthz(url: string, agent: import('node:http').Agent | false): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/healthz`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the Kubernetes stand-in observed', () => {
  it('reports each stored change with the state before it, until the listener is removed', async () => {
    kube = await startKubeStandIn();
    const changes: StoredChange[] = [];
    const stop = kube.store.onChange((change) => changes.push(change));
    kube.store.put('checkpointshares', { ...share('a', 'team-a', { projectIds: ['proj_a'] }) });
    kube.store.put('checkpointshares', { ...share('a', 'team-a', { projectIds: ['proj_a', 'proj_b'] }) });
    stop();
    kube.store.remove('checkpointshares', 'team-a', 'a');
    expect(changes.map((c) => [c.type, c.resource])).toEqual([
      // The namespace is created on first use, as the stand-in does for any write.
      ['ADDED', 'namespaces'],
      ['ADDED', 'checkpointshares.checkpointshare.io'],
      ['MODIFIED', 'checkpointshares.checkpointshare.io'],
    ]);
    const projects = (object: KubeObject | undefined) =>
      (object?.spec as { projectIds?: string[] } | undefined)?.projectIds;
    expect(projects(changes[2]?.previous)).toEqual(['proj_a']);
    expect(projects(changes[2]?.object)).toEqual(['proj_a', 'proj_b']);
  });

  it.each([
    { reason: 'a new connection per request', keepAlive: false, accepted: 3 },
    { reason: 'one kept-alive connection for all', keepAlive: true, accepted: 1 },
  ])('counts the connections it accepts: $reason', async ({ keepAlive, accepted }) => {
    kube = await startKubeStandIn();
    const { Agent } = await import('node:http');
    const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: 1 }) : false;
    for (let i = 0; i < 3; i++) expect(await healthz(kube.url, agent)).toBe(200);
    if (agent) agent.destroy();
    expect(kube.connections()).toMatchObject({ accepted, peakOpen: 1 });
  });
});
