/**
 * While a watched namespace cannot be listed (RBAC missing there, say), the cache may lack
 * objects that want projects on a checkpoint. Authoritative must not take every unrecorded
 * permission for foreign then: it could revoke what an unseen object in that namespace wants.
 */
import { describe, expect, it } from 'vitest';
import type { CheckpointShare } from '../../src/api/types.js';
import type { Permission } from '../../src/openai/permissions.js';
import { plan } from '../../src/reconcile/plan.js';
import { K, perm, share } from '../support/builders.js';

interface Case {
  reason: string;
  shares: CheckpointShare[];
  listed: Permission[];
  partial: boolean;
  revoke: string[];
}

const cases: Case[] = [
  {
    reason: 'with every namespace listed, Authoritative revokes a permission nobody recorded',
    shares: [share('a').projects('proj_a').managing('proj_a').authoritative().build()],
    listed: [perm('proj_a'), perm('proj_b', 'cp_b')],
    partial: false,
    revoke: ['cp_b'],
  },
  {
    reason: 'with a namespace unlisted, that permission may belong to an unseen object: it is kept',
    shares: [share('a').projects('proj_a').managing('proj_a').authoritative().build()],
    listed: [perm('proj_a'), perm('proj_b', 'cp_b')],
    partial: true,
    revoke: [],
  },
  {
    reason: 'with a namespace unlisted, a project the object itself recorded and dropped is still revoked',
    shares: [share('a').projects('proj_a').managing('proj_a', 'proj_c').authoritative().build()],
    listed: [perm('proj_a'), perm('proj_b', 'cp_b'), perm('proj_c', 'cp_c')],
    partial: true,
    revoke: ['cp_c'],
  },
];

describe('plan while a watched namespace is not synced', () => {
  it.each(cases)('$reason', (c) => {
    const result = plan({
      checkpoint: K,
      shares: c.shares,
      listed: c.listed,
      retryFailed: false,
      partial: c.partial,
    });
    expect(result.revoke.map((p) => p.id)).toEqual(c.revoke);
  });
});
