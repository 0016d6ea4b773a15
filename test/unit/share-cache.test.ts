import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { CheckpointShare } from '../../src/api/types.js';
import { ShareCache } from '../../src/controller/share-cache.js';
import { K, K2, share } from '../support/builders.js';

describe('ShareCache', () => {
  it('indexes objects by spec.checkpoint and status.checkpoint', () => {
    const cache = new ShareCache();
    cache.upsert(share('a').build());
    cache.upsert(share('b').on(K2).home(K).build());
    expect(cache.sharesOn(K).map((s) => s.metadata.name)).toEqual(['a', 'b']);
    expect(cache.sharesOn(K2).map((s) => s.metadata.name)).toEqual(['b']);
  });

  it('reports old and new checkpoints when an object moves', () => {
    const cache = new ShareCache();
    cache.upsert(share('a').build());
    const touched = cache.upsert(share('a').on(K2).build());
    expect([...touched].sort()).toEqual([K, K2].sort());
    expect(cache.sharesOn(K)).toEqual([]);
  });

  it('prefers its own newer write until the watch delivers it', () => {
    const cache = new ShareCache();
    const original = share('a').build();
    cache.upsert(original);
    const written = share('a').managing('proj_a').build();
    written.metadata.resourceVersion = '5';
    cache.remember(written);
    expect(cache.get('ml/a')?.status?.managedProjects).toEqual(['proj_a']);
    const delivered = structuredClone(written);
    delivered.metadata.resourceVersion = '6';
    cache.upsert(delivered);
    expect(cache.get('ml/a')?.metadata.resourceVersion).toBe('6');
  });

  it('removes objects and their index entries', () => {
    const cache = new ShareCache();
    cache.upsert(share('a').build());
    expect([...cache.remove('ml/a')]).toEqual([K]);
    expect(cache.sharesOn(K)).toEqual([]);
    expect(cache.checkpoints()).toEqual([]);
  });

  it.each([
    { reason: 'the informer delivers it', store: (cache: ShareCache, s: CheckpointShare) => cache.upsert(s) },
    { reason: 'the operator wrote it', store: (cache: ShareCache, s: CheckpointShare) => cache.remember(s) },
  ])(
    'keeps only what a reconcile reads when $reason: no managedFields, labels or annotations but the reconcile requests',
    ({ store }) => {
      const cache = new ShareCache();
      const full = share('a').managing('proj_a').deleting().build();
      full.metadata.resourceVersion = '7';
      Object.assign(full.metadata, {
        managedFields: [
          {
            manager: 'argocd-controller',
            operation: 'Apply',
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:spec': {} },
          },
        ],
        labels: { 'app.kubernetes.io/instance': 'ml' },
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(full.spec),
          'checkpointshare.io/reconcile-requested-at': '2026-12-02T06:00:00Z',
          'reconcile.fluxcd.io/requestedAt': '2026-12-02T06:00:01Z',
        },
        creationTimestamp: '2026-01-01T00:00:00Z',
      });
      store(cache, full);
      const kept = cache.get('ml/a');
      expect(Object.keys(kept?.metadata ?? {}).sort()).toEqual(
        [
          'annotations',
          'deletionTimestamp',
          'finalizers',
          'generation',
          'name',
          'namespace',
          'resourceVersion',
          'uid',
        ]
          .filter((field) => field in full.metadata)
          .sort(),
      );
      // A request for a pass on demand is what a pass reads of the annotations; nothing else.
      expect(kept?.metadata.annotations).toEqual({
        'checkpointshare.io/reconcile-requested-at': '2026-12-02T06:00:00Z',
        'reconcile.fluxcd.io/requestedAt': '2026-12-02T06:00:01Z',
      });
      expect(kept?.spec).toEqual(full.spec);
      expect(kept?.status).toEqual(full.status);
      expect(kept?.metadata.deletionTimestamp).toBe(full.metadata.deletionTimestamp);
    },
  );
});

describe('ShareCache memory', () => {
  it('keeps one copy of the strings many objects repeat (a condition message here), however often they arrive', () => {
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    const shares = 4_000;
    const message = `3 of 3 projects granted; ${'x'.repeat(2_000)}`;
    // Each object parsed from its own JSON, as each watch event is: fresh copies of every string.
    const documents = Array.from({ length: shares }, (_, i) => {
      const s = share(`s${i}`).managing('proj_a').build();
      s.status = {
        ...s.status,
        conditions: ['Ready', 'Reconciling', 'Stalled'].map((type) => ({
          type: type as 'Ready',
          status: 'True' as const,
          reason: 'Converged',
          message,
          lastTransitionTime: '2026-01-01T00:00:00Z',
        })),
      };
      return JSON.stringify(s);
    });
    const cache = new ShareCache();
    collect();
    const before = getHeapStatistics().used_heap_size;
    for (const document of documents) cache.upsert(JSON.parse(document) as CheckpointShare);
    collect();
    const grown = getHeapStatistics().used_heap_size - before;
    const copies = shares * 3 * message.length;
    expect(cache.size).toBe(shares);
    expect(
      grown,
      `${grown} bytes for ${shares} objects; their messages alone would take ${copies}`,
    ).toBeLessThan(copies / 4);
  });
});
