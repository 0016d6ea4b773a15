/**
 * The pass under SHARE_POLICY=enforce, with in-memory fakes: the calls it makes for refused
 * shares, the finalizer rule, and the PolicyDenied event once per change.
 */
import { describe, expect, it } from 'vitest';
import type { CheckpointShare, CheckpointShareStatus } from '../../src/api/types.js';
import type { Permission, PermissionsApi } from '../../src/openai/permissions.js';
import { CheckpointReconciler } from '../../src/reconcile/reconcile-checkpoint.js';
import { compilePolicy, judge } from '../../src/tenancy/policy.js';
import { K, perm, policy, share } from '../support/builders.js';

const teamA = compilePolicy(policy());
const labels: Record<string, Record<string, string>> = { ml: { team: 'a' } };
const tenancy = { verdict: (s: CheckpointShare) => judge(s, labels[s.metadata.namespace] ?? {}, [teamA]) };

/** One pass over these shares and permissions; returns the calls made and the statuses written. */
async function pass(shares: CheckpointShare[], listed: Permission[]) {
  const calls: string[] = [];
  const statuses = new Map<string, CheckpointShareStatus>();
  const bump = (s: CheckpointShare): CheckpointShare => ({
    ...s,
    metadata: { ...s.metadata, resourceVersion: String(Number(s.metadata.resourceVersion) + 1) },
  });
  const permissions: PermissionsApi = {
    list: async () => ({
      exists: true,
      permissions: listed.filter((p) => !calls.includes(`revoke ${p.projectId}`)),
    }),
    grant: async (_k, ids) => {
      calls.push(`grant ${ids.join(',')}`);
      return { granted: ids.map((p) => perm(p)), failed: [] };
    },
    revoke: async (_k, id) => void calls.push(`revoke ${listed.find((p) => p.id === id)?.projectId}`),
  };
  const reconciler = new CheckpointReconciler({
    shares: { sharesOn: () => shares, remember: () => undefined, markGone: () => undefined },
    writer: {
      get: async () => undefined,
      addFinalizer: async (s) => {
        calls.push(`finalizer+ ${s.metadata.name}`);
        return bump(s);
      },
      removeFinalizer: async (s) => {
        calls.push(`finalizer- ${s.metadata.name}`);
        return { ...bump(s), metadata: { ...s.metadata, finalizers: [] } };
      },
      writeStatus: async (s, status) => {
        statuses.set(s.metadata.name, status);
        return { ...bump(s), status };
      },
    },
    permissions,
    events: { record: async (s, reason) => void calls.push(`event ${reason} ${s.metadata.name}`) },
    driftIntervalMs: () => 60_000,
    minIntervalMs: 30_000,
    failedRecheckMs: 600_000,
    now: () => new Date('2026-11-29T09:00:00Z'),
    tenancy,
  });
  await reconciler.reconcile(K);
  return { calls, statuses };
}

describe('a pass under an enforced policy', () => {
  it('a new share refused as a whole: no OpenAI write, no finalizer, one PolicyDenied event', async () => {
    const { calls, statuses } = await pass(
      [share('t').in('elsewhere').projects('proj_a1').fresh().build()],
      [perm('proj_legal')],
    );
    expect(calls).toEqual(['event PolicyDenied t']);
    expect(statuses.get('t')?.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({
      status: 'True',
      reason: 'PolicyDenied',
    });
  });

  it('sends no second PolicyDenied event while the refusal stays the same', async () => {
    const first = await pass([share('t').projects('proj_a1', 'proj_x').fresh().build()], []);
    expect(first.calls.filter((c) => c.startsWith('event'))).toEqual(['event PolicyDenied t']);
    const settled = share('t').projects('proj_a1', 'proj_x').managing('proj_a1').build();
    settled.status = { ...first.statuses.get('t') };
    const again = await pass([settled], [perm('proj_a1')]);
    expect(again.calls).toEqual([]);
  });

  it('a refused suspended share being deleted revokes what it recorded instead of leaving it', async () => {
    const leaving = share('t')
      .in('elsewhere')
      .projects('proj_a1')
      .managing('proj_a1')
      .suspended()
      .deleting()
      .build();
    const { calls } = await pass([leaving], [perm('proj_a1')]);
    expect(calls).toEqual(['revoke proj_a1', 'event Revoked t', 'finalizer- t']);
  });

  it('a live refused share lets go of its finalizer once its records are revoked', async () => {
    const holding = share('t').in('elsewhere').projects('proj_a1').managing('proj_a1').build();
    const { calls, statuses } = await pass([holding], [perm('proj_a1')]);
    expect(calls).toContain('revoke proj_a1');
    expect(calls.at(-1)).toBe('finalizer- t');
    expect(statuses.get('t')?.managedProjects).toEqual([]);
  });
});
