import { describe, expect, it } from 'vitest';
import { preview } from '../../src/reconcile/preview.js';
import { K, K2, perm, share } from '../support/builders.js';

describe('preview: the planner told as a reviewer needs it', () => {
  it('grants for whom, adopts what exists, keeps what is wanted or foreign under Managed', () => {
    const p = preview({
      checkpoint: K,
      shares: [
        share('a').projects('proj_a', 'proj_b').fresh().build(),
        share('b').projects('proj_b').fresh().build(),
      ],
      listed: [perm('proj_a', 'cp_a'), perm('proj_x', 'cp_x')],
      retryFailed: true,
    });
    expect(p.grant).toEqual([{ projectId: 'proj_b', objects: ['ml/a', 'ml/b'] }]);
    expect(p.adopt).toEqual([{ projectId: 'proj_a', objects: ['ml/a'] }]);
    expect(p.revoke).toEqual([]);
    expect(p.keep).toEqual([
      { projectId: 'proj_x', objects: [], why: 'granted outside any share (Managed leaves it alone)' },
    ]);
  });

  it('names the Authoritative share behind a revocation of a hand-made grant', () => {
    const p = preview({
      checkpoint: K,
      shares: [share('locked').projects('proj_a').authoritative().managing('proj_a').build()],
      listed: [perm('proj_a', 'cp_a'), perm('proj_legal', 'cp_legal')],
      retryFailed: true,
    });
    expect(p.revoke).toEqual([
      {
        projectId: 'proj_legal',
        permissionId: 'cp_legal',
        objects: ['ml/locked'],
        why: 'not wanted, and the checkpoint is Authoritative',
      },
    ]);
  });

  it('a suspended share protects its projects: nothing revoked, kept as protected', () => {
    const p = preview({
      checkpoint: K,
      shares: [
        share('frozen').projects('proj_old').managing('proj_old').suspended().build(),
        share('locked').projects('proj_a').authoritative().managing('proj_a').build(),
      ],
      listed: [perm('proj_a', 'cp_a'), perm('proj_old', 'cp_old')],
      retryFailed: true,
    });
    expect(p.revoke).toEqual([]);
    expect(p.keep).toContainEqual({
      projectId: 'proj_old',
      objects: ['ml/frozen'],
      why: 'protected (suspended or Orphan)',
    });
  });

  it('a share moving away revokes its record on the checkpoint it leaves', () => {
    const p = preview({
      checkpoint: K,
      shares: [share('mover').on(K2).projects('proj_a').home(K).managing('proj_a').build()],
      listed: [perm('proj_a', 'cp_a')],
      retryFailed: true,
    });
    expect(p.revoke).toEqual([
      { projectId: 'proj_a', permissionId: 'cp_a', objects: ['ml/mover'], why: 'recorded, no longer wanted' },
    ]);
  });

  it('a checkpoint OpenAI does not know is said so, with nothing planned', () => {
    const p = preview({
      checkpoint: K,
      shares: [share('a').projects('proj_a').build()],
      listed: undefined,
      retryFailed: true,
    });
    expect(p).toEqual({ checkpoint: K, exists: false, grant: [], adopt: [], revoke: [], keep: [] });
  });
});
