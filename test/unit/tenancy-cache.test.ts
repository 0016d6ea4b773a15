import { describe, expect, it } from 'vitest';
import type { CheckpointSharePolicy, CheckpointSharePolicySpec } from '../../src/api/policy-types.js';
import { TenancyCache } from '../../src/controller/tenancy-cache.js';
import { policy as aPolicy, K, K2, share } from '../support/builders.js';

const policy = (spec: Partial<CheckpointSharePolicySpec>, status?: CheckpointSharePolicy['status']) =>
  aPolicy(spec, status ? { status } : {});

describe('TenancyCache', () => {
  it('re-decides the shares on the checkpoints a policy change touches, old globs and new', () => {
    const cache = new TenancyCache();
    cache.upsertNamespace('ml', { team: 'a' });
    const onK = share('k').on(K).projects('proj_a1').build();
    const onK2 = share('k2').on(K2).projects('proj_a1').build();
    const added = cache.upsertPolicy(policy({}));
    expect([added?.(onK), added?.(onK2)]).toEqual([true, false]);
    expect(cache.verdict(onK).permitted).toBe(true);
    expect(cache.verdict(onK2).permitted).toBe(false);

    const moved = cache.upsertPolicy(policy({ checkpoints: [K2] }));
    expect([moved?.(onK), moved?.(onK2)]).toEqual([true, true]);
    expect(cache.verdict(onK).permitted).toBe(false);
    expect(cache.verdict(onK2).permitted).toBe(true);

    const removed = cache.removePolicy('team-a');
    expect([removed?.(onK), removed?.(onK2)]).toEqual([false, true]);
    expect(cache.verdict(onK2).permitted).toBe(false);
  });

  it('ignores a policy update that leaves the spec alone (its own status write)', () => {
    const cache = new TenancyCache();
    cache.upsertPolicy(policy({}));
    const ready = { conditions: [] };
    expect(cache.upsertPolicy(policy({}, ready))).toBeUndefined();
  });

  it("re-decides a namespace's shares when its labels change, and only then", () => {
    const cache = new TenancyCache();
    cache.upsertPolicy(policy({}));
    const mine = share('mine').in('team-c').projects('proj_a1').build();
    const other = share('other').in('ml').projects('proj_a1').build();
    expect(cache.verdict(mine).permitted).toBe(false);
    const labelled = cache.upsertNamespace('team-c', { team: 'a' });
    expect([labelled?.(mine), labelled?.(other)]).toEqual([true, false]);
    expect(cache.verdict(mine).permitted).toBe(true);
    expect(cache.upsertNamespace('team-c', { team: 'a' })).toBeUndefined();
  });
});
