import { describe, expect, it } from 'vitest';
import type { CheckpointShare } from '../../src/api/types.js';
import type { Permission } from '../../src/openai/permissions.js';
import { plan } from '../../src/reconcile/plan.js';
import { K, K2, perm, share } from '../support/builders.js';

interface Case {
  reason: string;
  shares: CheckpointShare[];
  listed: Permission[] | undefined;
  retryFailed?: boolean;
  grant?: string[];
  revoke?: string[];
  record?: Record<string, string[]>;
  adopt?: Record<string, string[]>;
  addFinalizer?: string[];
}

const cases: Case[] = [
  {
    reason: 'a new object gets its finalizer and its record before anything is granted',
    shares: [share('a').projects('proj_a', 'proj_b').fresh().build()],
    listed: [],
    grant: ['proj_a', 'proj_b'],
    record: { 'ml/a': ['proj_a', 'proj_b'] },
    addFinalizer: ['ml/a'],
  },
  {
    reason: 'a converged object needs nothing',
    shares: [share('a').projects('proj_a').managing('proj_a').build()],
    listed: [perm('proj_a')],
  },
  {
    reason: 'adding a project grants only that one',
    shares: [share('a').projects('proj_a', 'proj_c').managing('proj_a').build()],
    listed: [perm('proj_a')],
    grant: ['proj_c'],
    record: { 'ml/a': ['proj_a', 'proj_c'] },
  },
  {
    reason: 'removing a project revokes it',
    shares: [share('a').projects('proj_a').managing('proj_a', 'proj_b').build()],
    listed: [perm('proj_a'), perm('proj_b', 'cp_b')],
    revoke: ['cp_b'],
  },
  {
    reason: 'a project another live object desires is not revoked',
    shares: [
      share('a').projects('proj_a').managing('proj_a', 'proj_b').build(),
      share('b').projects('proj_b').managing('proj_b').build(),
    ],
    listed: [perm('proj_a'), perm('proj_b')],
  },
  {
    reason: 'deleting with Revoke revokes what no live object desires',
    shares: [
      share('a').projects('proj_a', 'proj_b').managing('proj_a', 'proj_b').deleting().build(),
      share('b').projects('proj_b').managing('proj_b').build(),
    ],
    listed: [perm('proj_a', 'cp_a'), perm('proj_b')],
    revoke: ['cp_a'],
  },
  {
    reason: 'deleting with Orphan protects its projects',
    shares: [share('a').projects('proj_a').managing('proj_a').orphan().deleting().build()],
    listed: [perm('proj_a')],
  },
  {
    reason: 'a foreign permission stays under Managed',
    shares: [share('a').projects('proj_a').managing('proj_a').build()],
    listed: [perm('proj_a'), perm('proj_x')],
  },
  {
    reason: 'a foreign permission is revoked under Authoritative',
    shares: [share('a').projects('proj_a').managing('proj_a').authoritative().build()],
    listed: [perm('proj_a'), perm('proj_x', 'cp_x')],
    revoke: ['cp_x'],
  },
  {
    reason: 'an existing permission for a desired project is adopted, not created',
    shares: [share('a').projects('proj_a', 'proj_b').managing('proj_a').build()],
    listed: [perm('proj_a'), perm('proj_b')],
    record: { 'ml/a': ['proj_a', 'proj_b'] },
    adopt: { 'ml/a': ['proj_b'] },
  },
  {
    reason: 'a suspended object makes no writes and protects its projects from others',
    shares: [
      share('a').projects('proj_a', 'proj_b').managing('proj_a').suspended().build(),
      share('b').projects().managing('proj_a').build(),
    ],
    listed: [perm('proj_a')],
  },
  {
    reason: 'a suspended object keeps a project it dropped from its spec',
    shares: [share('a').projects().managing('proj_a').suspended().build()],
    listed: [perm('proj_a')],
  },
  {
    reason: 'a project that failed terminally is not retried unprompted',
    shares: [
      share('a')
        .projects('proj_a', 'proj_owner')
        .managing('proj_a')
        .failing({ projectId: 'proj_owner', reason: 'OwningProject', message: 'owning project' })
        .build(),
    ],
    listed: [perm('proj_a')],
    retryFailed: false,
  },
  {
    reason: 'a failed project is retried when asked (spec change, restart, recheck)',
    shares: [
      share('a')
        .projects('proj_owner')
        .managing()
        .failing({ projectId: 'proj_owner', reason: 'OwningProject' })
        .build(),
    ],
    listed: [],
    retryFailed: true,
    grant: ['proj_owner'],
    record: { 'ml/a': ['proj_owner'] },
  },
  {
    reason: 'an object leaving K revokes its grants there, keeping ones others want',
    shares: [
      share('a').on(K2).projects('proj_a', 'proj_b').home(K).managing('proj_a', 'proj_b').build(),
      share('b').projects('proj_b').managing('proj_b').build(),
    ],
    listed: [perm('proj_a', 'cp_a'), perm('proj_b')],
    revoke: ['cp_a'],
  },
  {
    reason: 'an object arriving on K2 does not grant before its move finished',
    shares: [share('a').on(K2).projects('proj_a').home(K).managing('proj_a').build()],
    listed: [],
  },
  {
    reason: 'a checkpoint that is gone plans nothing but finalizers',
    shares: [share('a').projects('proj_a').fresh().build()],
    listed: undefined,
    addFinalizer: ['ml/a'],
  },
  {
    reason: 'two objects wanting one project grant it once, and both record it',
    shares: [
      share('a').projects('proj_a').fresh().build(),
      share('b').projects('proj_a', 'proj_b').fresh().build(),
    ],
    listed: [],
    grant: ['proj_a', 'proj_b'],
    record: { 'ml/a': ['proj_a'], 'ml/b': ['proj_a', 'proj_b'] },
    addFinalizer: ['ml/a', 'ml/b'],
  },
  {
    reason:
      'a suspended object records a granted project it wants (a Kubernetes write only), adopting nothing',
    shares: [share('a').projects('proj_a').managing().suspended().build()],
    listed: [perm('proj_a')],
    record: { 'ml/a': ['proj_a'] },
  },
  {
    reason: 'deleting a suspended Revoke object revokes nothing',
    shares: [share('a').projects('proj_a').managing('proj_a').suspended().deleting().build()],
    listed: [perm('proj_a')],
  },
  {
    reason: 'a suspended Authoritative object revokes no foreign permission',
    shares: [share('a').projects('proj_a').managing('proj_a').authoritative().suspended().build()],
    listed: [perm('proj_a'), perm('proj_x')],
  },
  {
    reason: 'every duplicate permission of a revoked project is deleted',
    shares: [share('a').projects().managing('proj_a').build()],
    listed: [perm('proj_a', 'cp_1'), perm('proj_a', 'cp_2')],
    revoke: ['cp_1', 'cp_2'],
  },
];

describe('plan', () => {
  it.each(cases)('$reason', (c) => {
    const result = plan({
      checkpoint: K,
      shares: c.shares,
      listed: c.listed,
      retryFailed: c.retryFailed ?? false,
    });
    expect(result.grant).toEqual(c.grant ?? []);
    expect(result.revoke.map((p) => p.id)).toEqual(c.revoke ?? []);
    expect(Object.fromEntries(result.record)).toEqual(c.record ?? {});
    expect(Object.fromEntries(result.adopt)).toEqual(c.adopt ?? {});
    expect(result.addFinalizer.map((s) => `${s.metadata.namespace}/${s.metadata.name}`)).toEqual(
      c.addFinalizer ?? [],
    );
  });
});
