import { describe, expect, it } from 'vitest';
import type { CheckpointShare, CheckpointShareStatus, GrantFailure } from '../../src/api/types.js';
import type { Permission } from '../../src/openai/permissions.js';
import { mergeConditions } from '../../src/reconcile/conditions.js';
import { settle, settleError } from '../../src/reconcile/status.js';
import { K, K2, perm, share } from '../support/builders.js';

const now = new Date('2026-11-29T09:00:00Z');

function settleOne(
  shares: CheckpointShare[],
  listed: Permission[] | undefined,
  failures: GrantFailure[] = [],
): { status: Map<string, CheckpointShareStatus>; released: string[] } {
  const result = settle({
    view: { checkpoint: K, shares, listed, retryFailed: true },
    grantFailures: new Map(failures.map((f) => [f.projectId, f])),
    now,
  });
  return { status: result.statuses, released: result.releaseFinalizer.map((s) => s.metadata.name) };
}

const condition = (status: CheckpointShareStatus | undefined, type: string) =>
  status?.conditions?.find((c) => c.type === type);

describe('settle', () => {
  it.each([
    {
      reason: 'everything granted: Ready, grants and counts written',
      shares: [share('a').projects('proj_a', 'proj_b').managing('proj_a', 'proj_b').build()],
      listed: [perm('proj_a', 'cp_a', 1_764_403_200), perm('proj_b', 'cp_b')],
      ready: 'True',
      reasonText: 'Converged',
      granted: 2,
    },
    {
      reason: 'a project still missing: not Ready, Reconciling',
      shares: [share('a').projects('proj_a', 'proj_b').managing('proj_a').build()],
      listed: [perm('proj_a')],
      ready: 'False',
      reasonText: 'Progressing',
      reconciling: 'True',
      granted: 1,
    },
    {
      reason: 'a checkpoint that is gone: Stalled with CheckpointNotFound',
      shares: [share('a').projects('proj_a').managing('proj_a').build()],
      listed: undefined,
      ready: 'False',
      reasonText: 'CheckpointNotFound',
      stalled: 'True',
      granted: 0,
    },
    {
      reason: 'suspended with drift: not Ready, reason Suspended, drift in the message',
      shares: [share('a').projects('proj_a', 'proj_b').managing('proj_a').suspended().build()],
      listed: [perm('proj_a')],
      ready: 'False',
      reasonText: 'Suspended',
      message: 'on resume would grant proj_b',
      granted: 1,
    },
    {
      reason: 'suspended Authoritative: the message names the hand-made grant a resume would revoke',
      shares: [share('a').projects('proj_a').managing('proj_a').authoritative().suspended().build()],
      listed: [perm('proj_a'), perm('proj_legal')],
      ready: 'False',
      reasonText: 'Suspended',
      message:
        'suspended: 1 of 1 projects granted on ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd; on resume would revoke proj_legal',
      granted: 1,
    },
    {
      reason: 'suspended and nothing to do on resume: Ready',
      shares: [share('a').projects('proj_a').managing('proj_a').authoritative().suspended().build()],
      listed: [perm('proj_a')],
      ready: 'True',
      reasonText: 'Suspended',
      granted: 1,
    },
  ])('$reason', ({ shares, listed, ready, reasonText, reconciling, stalled, granted, message }) => {
    const { status } = settleOne(shares, listed);
    const s = status.get('ml/a');
    expect(condition(s, 'Ready')?.status).toBe(ready);
    expect(condition(s, 'Ready')?.reason).toBe(reasonText);
    expect(condition(s, 'Reconciling')?.status).toBe(reconciling ?? 'False');
    expect(condition(s, 'Stalled')?.status).toBe(stalled ?? 'False');
    expect(s?.grantedCount).toBe(granted);
    expect(s?.desiredCount).toBe(shares[0]?.spec.projectIds.length);
    expect(s?.observedGeneration).toBe(1);
    if (message) expect(condition(s, 'Ready')?.message).toContain(message);
  });

  it.each([
    {
      reason: 'our annotation',
      annotations: { 'checkpointshare.io/reconcile-requested-at': 'a' },
      handled: 'a',
    },
    { reason: "Flux's annotation", annotations: { 'reconcile.fluxcd.io/requestedAt': 'f' }, handled: 'f' },
    {
      reason: 'ours when both are set',
      annotations: {
        'checkpointshare.io/reconcile-requested-at': 'a',
        'reconcile.fluxcd.io/requestedAt': 'f',
      },
      handled: 'a',
    },
    { reason: 'nothing when none was asked', annotations: {}, handled: undefined },
  ])('records the reconcile request a pass handled: $reason', ({ annotations, handled }) => {
    const { status } = settleOne(
      [share('a').projects('proj_a').managing('proj_a').annotated(annotations).build()],
      [perm('proj_a')],
    );
    expect(status.get('ml/a')?.lastHandledReconcileAt).toBe(handled);
  });

  it('writes grants with the permission id and an RFC 3339 createdAt', () => {
    const { status } = settleOne(
      [share('a').projects('proj_a').managing('proj_a').build()],
      [perm('proj_a', 'cp_a', 1_764_403_200)],
    );
    expect(status.get('ml/a')?.grants).toEqual([
      { projectId: 'proj_a', permissionId: 'cp_a', createdAt: '2025-11-29T08:00:00Z' },
    ]);
  });

  it('records a terminal grant failure, stalls, and forgets its ownership record', () => {
    const failure: GrantFailure = {
      projectId: 'proj_owner',
      reason: 'OwningProject',
      message: 'owning project',
    };
    const { status } = settleOne(
      [share('a').projects('proj_a', 'proj_owner').managing('proj_a', 'proj_owner').build()],
      [perm('proj_a')],
      [failure],
    );
    const s = status.get('ml/a');
    expect(s?.failures).toEqual([failure]);
    expect(s?.managedProjects).toEqual(['proj_a']);
    expect(condition(s, 'Stalled')).toMatchObject({ status: 'True', reason: 'OwningProject' });
    expect(condition(s, 'Stalled')?.message).toContain('proj_owner');
  });

  it('drops a record only once its revocation is confirmed by the list', () => {
    const pending = settleOne([share('a').projects().managing('proj_b').build()], [perm('proj_b')]);
    expect(pending.status.get('ml/a')?.managedProjects).toEqual(['proj_b']);
    expect(condition(pending.status.get('ml/a'), 'Ready')?.status).toBe('False');
    const confirmed = settleOne([share('a').projects().managing('proj_b').build()], []);
    expect(confirmed.status.get('ml/a')?.managedProjects).toEqual([]);
  });

  it.each([
    {
      reason: 'Revoke waits while a revocation is pending',
      shares: [share('a').projects('proj_a').managing('proj_a').deleting().build()],
      listed: [perm('proj_a')],
      released: [],
    },
    {
      reason: 'Revoke releases once nothing of its own remains',
      shares: [share('a').projects('proj_a').managing('proj_a').deleting().build()],
      listed: [],
      released: ['a'],
    },
    {
      reason: 'Revoke releases when the rest is desired by another object',
      shares: [
        share('a').projects('proj_a').managing('proj_a').deleting().build(),
        share('b').projects('proj_a').managing('proj_a').build(),
      ],
      listed: [perm('proj_a')],
      released: ['a'],
    },
    {
      reason: 'Revoke waits to hand a shared grant over until the object that wants it has recorded it',
      shares: [
        share('a').projects('proj_a').managing('proj_a').deleting().build(),
        share('b').on(K).projects('proj_a').home(K2).managing().build(),
      ],
      listed: [perm('proj_a')],
      released: [],
    },
    {
      reason: 'Revoke hands a shared grant over to a suspended object that recorded it',
      shares: [
        share('a').projects('proj_a').managing('proj_a').deleting().build(),
        share('b').projects('proj_a').managing('proj_a').suspended().build(),
      ],
      listed: [perm('proj_a')],
      released: ['a'],
    },
    {
      reason: 'a suspended object being deleted lets go at once, leaving its grants',
      shares: [share('a').projects('proj_a').managing('proj_a').suspended().deleting().build()],
      listed: [perm('proj_a')],
      released: ['a'],
    },
    {
      reason: 'Orphan releases at once',
      shares: [share('a').projects('proj_a').managing('proj_a').orphan().deleting().build()],
      listed: [perm('proj_a')],
      released: ['a'],
    },
    {
      reason: 'a checkpoint that is gone blocks nothing',
      shares: [share('a').projects('proj_a').managing('proj_a').deleting().build()],
      listed: undefined,
      released: ['a'],
    },
  ])('deletion: $reason', ({ shares, listed, released }) => {
    expect(settleOne(shares, listed).released).toEqual(released);
  });

  it('moves a leaving object to its new checkpoint only after its grants are gone', () => {
    const leaving = share('a').on(K2).projects('proj_a').home(K).managing('proj_a').build();
    expect(settleOne([leaving], [perm('proj_a')]).status.get('ml/a')?.checkpoint).toBe(K);
    const moved = settleOne([leaving], []).status.get('ml/a');
    expect(moved).toMatchObject({ checkpoint: K2, managedProjects: [], grants: [] });
  });

  it('keeps a suspended leaving object where it is', () => {
    const leaving = share('a').on(K2).projects('proj_a').home(K).managing('proj_a').suspended().build();
    expect(settleOne([leaving], []).status.get('ml/a')?.checkpoint).toBe(K);
  });
});

describe('settleError', () => {
  it.each([
    { reason: 'transient: Reconciling, not Stalled', transient: true, reconciling: 'True', stalled: 'False' },
    { reason: 'terminal: Stalled, not Reconciling', transient: false, reconciling: 'False', stalled: 'True' },
  ])('$reason', ({ transient, reconciling, stalled }) => {
    const statuses = settleError(
      {
        checkpoint: K,
        shares: [share('a').projects('proj_a').managing('proj_a').build()],
        listed: undefined,
        retryFailed: false,
      },
      { transient, reason: 'Unauthorized', message: 'bad key', why: 'bad key', fix: 'fix it' },
      now,
    );
    const s = statuses.get('ml/a');
    expect(s?.managedProjects).toEqual(['proj_a']);
    expect(condition(s, 'Ready')?.status).toBe('False');
    expect(condition(s, 'Reconciling')?.status).toBe(reconciling);
    expect(condition(s, 'Stalled')?.status).toBe(stalled);
  });
});

describe('mergeConditions', () => {
  it('keeps lastTransitionTime when the status does not change, and moves it when it does', () => {
    const first = mergeConditions(
      undefined,
      {
        ready: { status: 'False', reason: 'Progressing', message: 'x' },
        reconciling: { status: 'True', reason: 'Progressing', message: 'x' },
        stalled: { status: 'False', reason: 'Progressing', message: 'x' },
      },
      1,
      new Date('2026-11-29T08:00:00Z'),
    );
    const later = new Date('2026-11-29T09:00:00Z');
    const second = mergeConditions(
      first,
      {
        ready: { status: 'True', reason: 'Converged', message: 'y' },
        reconciling: { status: 'True', reason: 'Progressing', message: 'y' },
        stalled: { status: 'False', reason: 'Converged', message: 'y' },
      },
      2,
      later,
    );
    expect(second.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe('2026-11-29T09:00:00Z');
    expect(second.find((c) => c.type === 'Reconciling')?.lastTransitionTime).toBe('2026-11-29T08:00:00Z');
    expect(second.every((c) => c.observedGeneration === 2)).toBe(true);
  });
});
