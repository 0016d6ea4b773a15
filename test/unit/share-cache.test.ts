import { describe, expect, it } from 'vitest';
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
});
