/**
 * Every Kubernetes call of the operator (lists, the watch of each namespace, lease renewals,
 * finalizer and status patches, events) goes through one connection pool: the connections the
 * API server accepts stay at what is in flight at once, however many requests are made.
 * client-node alone opens a new connection (and, on a real cluster, a TLS handshake) per request.
 */

import { afterEach, expect, it } from 'vitest';
import { API_VERSION, CRD_NAME, KIND } from '../../src/api/constants.js';
import type { CheckpointShareStatus } from '../../src/api/types.js';
import { PASS_WRITE_WIDTH } from '../../src/reconcile/reconcile-checkpoint.js';
import { Env, OWNER } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

const NAMESPACES = ['conn-a', 'conn-b', 'conn-c'];
const CHECKPOINTS = Array.from({ length: 6 }, (_, i) => `ft:gpt-4o-mini-2024-07-18:acme:conn:C${i}x`);
const SHARES = 60;
const WORKERS = 4;
/**
 * What can be in flight at once: each namespace's watch (held open), its first list, every
 * worker's writes (a pass sends up to PASS_WRITE_WIDTH together), and the lease's renewal; a
 * pool never needs more connections than that.
 */
const MOST_CONNECTIONS = NAMESPACES.length * 2 + WORKERS * PASS_WRITE_WIDTH + 1;

let env: Env | undefined;
afterEach(async () => {
  await env?.close();
});

it('one pool for every Kubernetes call: connections stay at what is in flight while requests run into hundreds', async () => {
  env = await Env.start({ checkpoints: CHECKPOINTS });
  const world = env;
  // Stored directly, so that no client of the test's own adds connections to the count.
  for (let i = 0; i < SHARES; i++) {
    world.kube.store.put(CRD_NAME, {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: `share-${i}`, namespace: NAMESPACES[i % NAMESPACES.length] ?? '' },
      spec: {
        checkpoint: CHECKPOINTS[i % CHECKPOINTS.length] ?? '',
        projectIds: [`proj_c${i % 7}`, `proj_d${i % 5}`],
        mode: 'Managed',
        deletionPolicy: 'Revoke',
        suspend: false,
      },
    });
  }
  expect(OWNER).not.toMatch(/proj_[cd]/);
  const before = world.kube.connections().accepted;
  world.kube.clearRequests();
  world.startOperator({
    WATCH_NAMESPACES: NAMESPACES.join(','),
    LEADER_ELECTION: 'true',
    POD_NAMESPACE: NAMESPACES[0] ?? '',
    MAX_CONCURRENT_RECONCILES: String(WORKERS),
  });
  await waitFor(
    'every share Ready',
    () =>
      world.kube.store.list(CRD_NAME).every((share) => {
        const status = share.status as CheckpointShareStatus | undefined;
        return status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      }),
    { timeoutMs: 90_000, intervalMs: 250 },
  );
  const requests = world.kube.requests();
  const watches = requests.filter((r) => r.verb === 'watch').length;
  const writes = requests.filter((r) => ['create', 'update', 'patch'].includes(r.verb)).length;
  const accepted = world.kube.connections().accepted - before;
  expect(watches, 'one watch per namespace').toBeGreaterThanOrEqual(NAMESPACES.length);
  expect(writes, 'finalizers, records, statuses, events, lease').toBeGreaterThan(3 * SHARES);
  // A connection per request (client-node's own behaviour) would be one per line of the log.
  // Sockets are reused as they come free, so the count tracks what is in flight; a socket still
  // finishing its response when the next write starts can add one, hence the factor of two.
  expect(accepted, `${requests.length} requests over ${accepted} connections`).toBeLessThanOrEqual(
    2 * MOST_CONNECTIONS,
  );
  expect(requests.length / accepted, 'requests per connection').toBeGreaterThanOrEqual(3);
});
