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
    'keeps only what a reconcile reads when $reason: no managedFields, labels or annotations',
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
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(full.spec) },
        creationTimestamp: '2026-01-01T00:00:00Z',
      });
      store(cache, full);
      const kept = cache.get('ml/a');
      expect(Object.keys(kept?.metadata ?? {}).sort()).toEqual(
        ['deletionTimestamp', 'finalizers', 'generation', 'name', 'namespace', 'resourceVersion', 'uid']
          .filter((field) => field in full.metadata)
          .sort(),
      );
      expect(kept?.spec).toEqual(full.spec);
      expect(kept?.status).toEqual(full.status);
      expect(kept?.metadata.deletionTimestamp).toBe(full.metadata.deletionTimestamp);
    },
  );
});
