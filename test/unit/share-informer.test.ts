/**
 * The ShareInformer against the Kubernetes stand-in in this process, on vitest's fake clock:
 * the stand-in's bookmark timer, the server-side watch timeout, client-node's inactivity timer
 * and the informer's backoff all run on it, while the HTTP traffic between them is real.
 * Promises, setImmediate and I/O stay real, so the test waits for bytes to arrive with
 * `settle` (polling on setImmediate) and never sleeps.
 */

import { type KubeStandIn, startKubeStandIn } from '@checkpoint-share/sandbox/kube-api';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { share } from '../../packages/sandbox/test/support/kube-stand-in.js';
import type { CheckpointShare } from '../../src/api/types.js';
import { ShareInformer } from '../../src/controller/share-informer.js';
import { createLogger } from '../../src/observability/logger.js';
import { keyOf } from '../../src/reconcile/share-facts.js';

const BOOKMARK_PERIOD_MS = 60_000;

/** Waits for a condition on real I/O while the fake clock stands still (or creeps, if asked). */
async function settle<T>(
  what: string,
  check: () => T | undefined | false,
  { advanceMs = 0 }: { advanceMs?: number } = {},
): Promise<T> {
  for (let round = 0; round < 20_000; round += 1) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (advanceMs > 0) await vi.advanceTimersByTimeAsync(advanceMs);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`gave up waiting for ${what}`);
}

class Seen {
  readonly shares = new Map<string, CheckpointShare>();
  upsert(s: CheckpointShare): void {
    this.shares.set(keyOf(s), s);
  }
  remove(key: string): void {
    this.shares.delete(key);
  }
  keysIn(namespace: string | undefined): string[] {
    return [...this.shares.keys()].filter((k) => namespace === undefined || k.startsWith(`${namespace}/`));
  }
}

let kube: KubeStandIn;
let informer: ShareInformer | undefined;

beforeEach(async () => {
  // setImmediate stays real: it is how the test lets sockets deliver between clock steps.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  kube = await startKubeStandIn({ port: 0, token: 'informer-test' });
});

afterEach(async () => {
  informer?.stop();
  informer = undefined;
  await kube.close();
  vi.useRealTimers();
});

function startInformer(namespaces: string[], seen: Seen, logs?: Record<string, unknown>[]): Promise<void> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(kube.kubeconfig());
  const destination = { write: (line: string) => logs?.push(JSON.parse(line) as Record<string, unknown>) };
  informer = new ShareInformer(kubeConfig, kubeConfig.makeApiClient(CustomObjectsApi), seen, {
    namespaces,
    logger: createLogger({ level: logs ? 'debug' : 'silent' }, destination),
  });
  return informer.start();
}

function putShare(name: string, spec: Record<string, unknown> = {}): void {
  kube.store.put('checkpointshares', { ...share(name, 'team-a', spec) });
}

function watchRequests(): { resourceVersion: string | undefined }[] {
  return kube
    .requests()
    .filter((r) => r.resource === 'checkpointshares' && r.verb === 'watch')
    .map((r) => ({ resourceVersion: r.query.resourceVersion }));
}

function lists(): number {
  return kube.requests().filter((r) => r.resource === 'checkpointshares' && r.verb === 'list').length;
}

describe('a quiet watch', () => {
  it('stays open across several bookmark periods with the production defaults', async () => {
    putShare('quiet');
    const seen = new Seen();
    await startInformer([], seen);
    await settle('the first watch to open', () => watchRequests().length === 1);

    // Four bookmark periods (four minutes), inside the server-side timeout of 300-360 s.
    for (let period = 1; period <= 4; period += 1) {
      await vi.advanceTimersByTimeAsync(BOOKMARK_PERIOD_MS);
      await settle(`bookmark ${period} to arrive`, () => (informer?.stats.bookmarks ?? 0) >= period);
    }

    expect(watchRequests()).toHaveLength(1);
    expect(informer?.stats).toMatchObject({ watches: 1, relists: 1 });
  });

  it('resumes from its resourceVersion after a dropped connection, without a relist', async () => {
    putShare('moved');
    const seen = new Seen();
    await startInformer([], seen);
    await settle('the first watch to open', () => watchRequests().length === 1);
    await vi.advanceTimersByTimeAsync(2 * BOOKMARK_PERIOD_MS);
    await settle('two bookmarks', () => (informer?.stats.bookmarks ?? 0) >= 2);

    const before = kube.store.resourceVersion();
    expect(kube.faults.dropWatches()).toBe(1);
    // Changed while the informer is cut off: only a watch resumed from `before` carries it.
    putShare('moved', { checkpoint: 'ft:changed' });

    await settle(
      'the change to arrive on a new watch',
      () => seen.shares.get('team-a/moved')?.spec.checkpoint === 'ft:changed',
      {
        advanceMs: 1_000,
      },
    );
    expect(watchRequests()).toEqual([{ resourceVersion: expect.any(String) }, { resourceVersion: before }]);
    expect(lists()).toBe(1);
  });
});

describe('a namespace the informer may not list', () => {
  it('does not hold up the others, and is reported once per change, not once per retry', async () => {
    putShare('readable');
    kube.store.put('checkpointshares', { ...share('hidden', 'team-b') });
    kube.faults.forbidNamespaces(['team-b']);
    const seen = new Seen();
    const logs: Record<string, unknown>[] = [];
    await startInformer(['team-a', 'team-b'], seen, logs);

    expect([...seen.shares.keys()]).toEqual(['team-a/readable']);
    expect(informer?.synced).toBe(false);
    expect(informer?.scopes).toEqual([
      { scope: 'team-a', synced: true, problem: undefined },
      { scope: 'team-b', synced: false, problem: expect.stringContaining('Kubernetes API 403') },
    ]);

    // Retries back off from 200 ms (to 30 s); each is refused the same way.
    const refused = () =>
      kube.requests().filter((r) => r.namespace === 'team-b' && r.verb === 'list' && r.status === 403).length;
    await settle('five refused lists', () => refused() >= 5, { advanceMs: 1_000 });
    const notSynced = logs.filter((l) => l.msg === 'scope not synced; retrying its list');
    expect(notSynced).toHaveLength(1);
    expect(notSynced[0]).toMatchObject({ scope: 'team-b', level: 'warn' });

    kube.faults.forbidNamespaces([]);
    await settle('team-b to sync', () => informer?.synced, { advanceMs: 1_000 });
    expect([...seen.shares.keys()].sort()).toEqual(['team-a/readable', 'team-b/hidden']);
    expect(logs.filter((l) => l.msg === 'scope synced' && l.scope === 'team-b')).toHaveLength(1);
    expect(logs.filter((l) => l.msg === 'scope not synced; retrying its list')).toHaveLength(1);
  });
});
