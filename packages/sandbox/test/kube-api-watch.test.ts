import {
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CPS,
  type StandInClients,
  type StoredShare,
  share,
  startWithClients,
  waitFor,
} from './support/kube-stand-in.js';
import { FINALIZER } from './support/operator-names.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const NAMESPACED = '/apis/checkpointshare.io/v1alpha1/namespaces';
const ALL = '/apis/checkpointshare.io/v1alpha1/checkpointshares';

interface Seen {
  type: string;
  object: StoredShare & { code?: number; reason?: string };
}

interface OpenWatch {
  events: Seen[];
  /** undefined while open; then the error the watch ended with (null for a clean end). */
  ended(): { error: unknown } | undefined;
  stop(): void;
}

async function openWatch(
  k: StandInClients,
  path: string,
  query: Record<string, string | number | boolean>,
): Promise<OpenWatch> {
  const events: Seen[] = [];
  let end: { error: unknown } | undefined;
  const controller = await new Watch(k.kubeConfig).watch(
    path,
    query,
    (type: string, object: Seen['object']) => events.push({ type, object }),
    (error: unknown) => {
      end = { error };
    },
  );
  return { events, ended: () => end, stop: () => controller.abort() };
}

function summary(events: readonly Seen[]): string[] {
  return events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.object.metadata.name}`);
}

let k: StandInClients;

beforeAll(async () => {
  k = await startWithClients({ bookmarkIntervalMs: 50 });
});

afterAll(async () => {
  await k.standIn.close();
});

async function create(
  namespace: string,
  name: string,
  labels?: Record<string, string>,
): Promise<StoredShare> {
  const body = share(name, namespace);
  if (labels) body.metadata.labels = labels;
  return (await k.custom.createNamespacedCustomObject({ ...CPS, namespace, body })) as StoredShare;
}

async function patch(namespace: string, name: string, body: unknown): Promise<StoredShare> {
  return (await k.custom.patchNamespacedCustomObject(
    { ...CPS, namespace, name, body },
    mergePatch,
  )) as StoredShare;
}

describe('watch', () => {
  it('starts with the current state as ADDED events when no resourceVersion is given', async () => {
    await create('initial', 'one');
    await create('initial', 'two');
    const watch = await openWatch(k, `${NAMESPACED}/initial/checkpointshares`, {});
    await waitFor('two ADDED events', () => (watch.events.length === 2 ? true : undefined));
    expect(summary(watch.events)).toEqual(['ADDED one', 'ADDED two']);
    watch.stop();
  });

  it('resumes from a resourceVersion with every change after it, in order', async () => {
    const x = await create('resume', 'x');
    await patch('resume', 'x', { spec: { suspend: true } });
    await create('resume', 'y');
    await k.custom.deleteNamespacedCustomObject({ ...CPS, namespace: 'resume', name: 'x' });
    const watch = await openWatch(k, `${NAMESPACED}/resume/checkpointshares`, {
      resourceVersion: x.metadata.resourceVersion,
    });
    await waitFor('three events', () => (summary(watch.events).length === 3 ? true : undefined));
    expect(summary(watch.events)).toEqual(['MODIFIED x', 'ADDED y', 'DELETED x']);
    const versions = watch.events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    watch.stop();
  });

  it('sends BOOKMARKs that are safe to resume from when asked for them', async () => {
    const watch = await openWatch(k, `${NAMESPACED}/bookmarks/checkpointshares`, {
      allowWatchBookmarks: true,
      resourceVersion: k.standIn.store.resourceVersion(),
    });
    const created = await create('bookmarks', 'b');
    const bookmark = await waitFor('a bookmark after the ADDED event', () => {
      const added = watch.events.findIndex((e) => e.type === 'ADDED');
      return added >= 0 ? watch.events.slice(added).find((e) => e.type === 'BOOKMARK') : undefined;
    });
    expect(bookmark.object.metadata).toMatchObject({ resourceVersion: expect.stringMatching(/^\d+$/) });
    expect(Number(bookmark.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(
      Number(created.metadata.resourceVersion),
    );
    watch.stop();

    await patch('bookmarks', 'b', { metadata: { labels: { after: 'bookmark' } } });
    const resumed = await openWatch(k, `${NAMESPACED}/bookmarks/checkpointshares`, {
      resourceVersion: bookmark.object.metadata.resourceVersion,
    });
    await waitFor('the change after the bookmark', () => (resumed.events.length > 0 ? true : undefined));
    expect(summary(resumed.events)).toEqual(['MODIFIED b']);
    resumed.stop();
  });

  it('shows an object leaving and entering a label selector as DELETED and ADDED', async () => {
    await create('labels', 'lamp', { colour: 'red' });
    const watch = await openWatch(k, `${NAMESPACED}/labels/checkpointshares`, {
      labelSelector: 'colour=red',
    });
    await waitFor('the initial ADDED', () => (watch.events.length === 1 ? true : undefined));
    await patch('labels', 'lamp', { metadata: { labels: { colour: 'blue' } } });
    await patch('labels', 'lamp', { spec: { suspend: true } });
    await patch('labels', 'lamp', { metadata: { labels: { colour: 'red' } } });
    await waitFor('three events', () => (watch.events.length === 3 ? true : undefined));
    expect(summary(watch.events)).toEqual(['ADDED lamp', 'DELETED lamp', 'ADDED lamp']);
    watch.stop();
  });

  it('reports a finalizer-delayed deletion as MODIFIED, then DELETED when the finalizer goes', async () => {
    const body = share('held', 'finalizers');
    body.metadata.finalizers = [FINALIZER];
    const obj = (await k.custom.createNamespacedCustomObject({
      ...CPS,
      namespace: 'finalizers',
      body,
    })) as StoredShare;
    const watch = await openWatch(k, `${NAMESPACED}/finalizers/checkpointshares`, {
      resourceVersion: obj.metadata.resourceVersion,
    });
    await k.custom.deleteNamespacedCustomObject({ ...CPS, namespace: 'finalizers', name: 'held' });
    await waitFor('the MODIFIED event', () => (watch.events.length === 1 ? true : undefined));
    expect(watch.events[0]?.object.metadata.deletionTimestamp).toBeDefined();
    await patch('finalizers', 'held', { metadata: { finalizers: null } });
    await waitFor('the DELETED event', () => (watch.events.length === 2 ? true : undefined));
    expect(summary(watch.events)).toEqual(['MODIFIED held', 'DELETED held']);
    watch.stop();
  });

  it('wraps watched objects in Table rows when kubectl get --watch asks for them', async () => {
    await create('tables', 'row');
    const response = await fetch(
      `${k.standIn.url}${NAMESPACED}/tables/checkpointshares?watch=true&timeoutSeconds=1`,
      {
        headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
      },
    );
    const [line = ''] = (await response.text()).split('\n');
    const event = JSON.parse(line) as {
      type: string;
      object: { kind: string; rows: { cells: unknown[] }[] };
    };
    expect(event.type).toBe('ADDED');
    expect(event.object.kind).toBe('Table');
    expect(event.object.rows[0]?.cells.slice(0, 2)).toEqual([
      'row',
      'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd',
    ]);
  });

  it('ends the stream after timeoutSeconds', async () => {
    const watch = await openWatch(k, `${NAMESPACED}/timeouts/checkpointshares`, { timeoutSeconds: 1 });
    const end = await waitFor('the watch to end', () => watch.ended(), 3_000);
    expect(end.error).toBeNull();
  });

  it('cuts open watches abruptly when told to drop them', async () => {
    const watch = await openWatch(k, `${NAMESPACED}/drops/checkpointshares`, {});
    expect(k.standIn.faults.dropWatches()).toBeGreaterThanOrEqual(1);
    const end = await waitFor('the watch to fail', () => watch.ended());
    expect(end.error).toBeInstanceOf(Error);
  });
});

describe('event history', () => {
  it('answers a watch from before the history with an ERROR event carrying 410 Expired', async () => {
    const small = await startWithClients({ historySize: 3 });
    try {
      const first = (await small.custom.createNamespacedCustomObject({
        ...CPS,
        namespace: 'old',
        body: share('first', 'old'),
      })) as StoredShare;
      for (const name of ['a', 'b', 'c', 'd']) {
        await small.custom.createNamespacedCustomObject({
          ...CPS,
          namespace: 'old',
          body: share(name, 'old'),
        });
      }
      const watch = await openWatch(small, `${NAMESPACED}/old/checkpointshares`, {
        resourceVersion: first.metadata.resourceVersion,
      });
      const end = await waitFor('the watch to end', () => watch.ended());
      expect(end.error).toBeNull();
      expect(watch.events).toHaveLength(1);
      expect(watch.events[0]?.type).toBe('ERROR');
      expect(watch.events[0]?.object).toMatchObject({
        kind: 'Status',
        status: 'Failure',
        reason: 'Expired',
        code: 410,
        message: expect.stringMatching(/^too old resource version: \d+ \(\d+\)$/),
      });
    } finally {
      await small.standIn.close();
    }
  });

  it('makes a restarted informer relist after a drop and an expired history, and its cache is right', async () => {
    const informer = makeInformer<KubernetesObject>(
      k.kubeConfig,
      ALL,
      async () =>
        (await k.custom.listCustomObjectForAllNamespaces({
          group: CPS.group,
          version: CPS.version,
          resourcePlural: CPS.plural,
          labelSelector: 'informer=yes',
        })) as KubernetesListObject<KubernetesObject>,
      'informer=yes',
    );
    const errors: unknown[] = [];
    const deleted: string[] = [];
    informer.on('error', (err) => errors.push(err));
    informer.on('delete', (obj) => deleted.push(obj.metadata?.name ?? ''));
    const cached = (): string[] =>
      informer
        .list()
        .map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`)
        .sort();
    await informer.start();
    try {
      await create('informer-a', 'keep', { informer: 'yes' });
      await create('informer-b', 'lose', { informer: 'yes' });
      await waitFor('both objects cached', () => (cached().length === 2 ? true : undefined));

      expect(k.standIn.faults.dropWatches()).toBeGreaterThanOrEqual(1);
      await waitFor('the informer to report the lost watch', () => (errors.length > 0 ? true : undefined));

      // The world changes while the informer is down, and the history of those changes is gone
      // by the time it comes back, as after an etcd compaction.
      await k.custom.deleteNamespacedCustomObject({ ...CPS, namespace: 'informer-b', name: 'lose' });
      await create('informer-b', 'new', { informer: 'yes' });
      await patch('informer-a', 'keep', { spec: { suspend: true } });
      k.standIn.faults.expireHistory();
      k.standIn.clearRequests();

      await informer.start();
      await waitFor('the cache to match the server', () =>
        cached().join() === 'informer-a/keep,informer-b/new' ? true : undefined,
      );
      const keep = informer.get('keep', 'informer-a') as StoredShare | undefined;
      expect(keep?.spec.suspend).toBe(true);
      expect(deleted).toEqual(['lose']);
      // The relist can fill the cache before the watch after it reaches the server: wait for it.
      const calls = await waitFor('the watch that follows the relist', () => {
        const verbs = k.standIn
          .requests()
          .filter((r) => r.resource === 'checkpointshares')
          .map((r) => r.verb);
        return verbs.length >= 3 ? verbs : undefined;
      });
      expect(calls.slice(0, 3)).toEqual(['watch', 'list', 'watch']);
    } finally {
      await informer.stop();
    }
  });
});

describe('shutdown', () => {
  it('ends open watches on close so the process can exit', async () => {
    const own = await startWithClients();
    const watch = await openWatch(own, ALL, {});
    await own.standIn.close();
    const end = await waitFor('the watch to end', () => watch.ended());
    expect(end).toBeDefined();
  });
});
