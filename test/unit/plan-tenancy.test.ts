/**
 * The planner and status under SHARE_POLICY=enforce, fed the way the executor feeds them: each
 * share replaced by its effective share, with the verdicts beside. Tenants live in namespace
 * `ml` labelled team=a; team-a may share K with proj_teamA* in Managed mode only.
 */
import { describe, expect, it } from 'vitest';
import { FINALIZER } from '../../src/api/constants.js';
import type { CheckpointSharePolicySpec } from '../../src/api/policy-types.js';
import type { CheckpointShare } from '../../src/api/types.js';
import type { Permission } from '../../src/openai/permissions.js';
import { type CheckpointView, plan } from '../../src/reconcile/plan.js';
import { keyOf } from '../../src/reconcile/share-facts.js';
import { settle } from '../../src/reconcile/status.js';
import { compilePolicy, effectiveShare, judge } from '../../src/tenancy/policy.js';
import { K, perm, policy, share } from '../support/builders.js';

const policies = (spec: Partial<CheckpointSharePolicySpec> = {}) => [
  compilePolicy(policy({ projects: ['proj_teamA*'], ...spec })),
  compilePolicy(
    policy(
      {
        namespaceSelector: { matchLabels: { team: 'platform' } },
        checkpoints: ['*'],
        projects: ['*'],
        modes: ['Managed', 'Authoritative'],
      },
      { name: 'platform' },
    ),
  ),
];

const labels: Record<string, Record<string, string>> = { ml: { team: 'a' }, platform: { team: 'platform' } };

function enforced(
  shares: CheckpointShare[],
  listed: Permission[] | undefined,
  rules = policies(),
): CheckpointView {
  const verdicts = new Map(
    shares.map((s) => [keyOf(s), judge(s, labels[s.metadata.namespace] ?? {}, rules)]),
  );
  return {
    checkpoint: K,
    shares: shares.map((s) => {
      const verdict = verdicts.get(keyOf(s));
      if (!verdict) throw new Error('no verdict');
      return effectiveShare(s, verdict);
    }),
    listed,
    retryFailed: true,
    verdicts,
  };
}

const projects = (perms: readonly Permission[]) => perms.map((p) => p.projectId).sort();

describe('plan under an enforced policy', () => {
  it('never grants a refused project, and grants the permitted ones', () => {
    const work = plan(enforced([share().projects('proj_teamA1', 'proj_finance').build()], []));
    expect(work.grant).toEqual(['proj_teamA1']);
    expect(work.record.get('ml/a')).toEqual(['proj_teamA1']);
  });

  it('attack 1, adopt then drop: a hand-made grant listed by a tenant is neither adopted nor revoked', () => {
    const byHand = [perm('proj_finance')];
    const listing = plan(enforced([share().projects('proj_finance').build()], byHand));
    expect(listing.adopt.size).toBe(0);
    expect(listing.record.get('ml/a') ?? []).not.toContain('proj_finance');
    const dropped = plan(enforced([share().projects().build()], byHand));
    expect(dropped.revoke).toEqual([]);
  });

  it('attack 2, Authoritative in a Managed-only namespace revokes nothing', () => {
    const listed = [perm('proj_legal'), perm('proj_teamA1')];
    const work = plan(enforced([share().projects('proj_teamA1').authoritative().build()], listed));
    expect(work.revoke).toEqual([]);
    expect(work.grant).toEqual([]);
  });

  it('attack 3, a suspended tenant share does not protect a project it may not name', () => {
    const listed = [perm('proj_legal')];
    const rules = policies();
    const platform = share('platform-owner').in('platform').projects().managing('proj_legal').build();
    const tenant = share('t').projects('proj_legal').suspended().build();
    const work = plan(enforced([platform, tenant], listed, rules));
    expect(projects(work.revoke)).toEqual(['proj_legal']);
  });

  it('narrowing the policy revokes exactly what the share recorded and may no longer hold', () => {
    const listed = [perm('proj_teamA1'), perm('proj_teamA2'), perm('proj_other')];
    const s = share().projects('proj_teamA1', 'proj_teamA2').managing('proj_teamA1', 'proj_teamA2').build();
    const work = plan(enforced([s], listed, policies({ projects: ['proj_teamA1'] })));
    expect(projects(work.revoke)).toEqual(['proj_teamA2']);
    expect(work.grant).toEqual([]);
  });

  it('a refused share no longer permitted keeps its grant while another permitted share wants it', () => {
    const listed = [perm('proj_teamA1')];
    const leaver = share('leaver').in('elsewhere').projects('proj_teamA1').managing('proj_teamA1').build();
    const wanter = share('wanter').projects('proj_teamA1').build();
    expect(plan(enforced([leaver, wanter], listed)).revoke).toEqual([]);
    expect(projects(plan(enforced([leaver], listed)).revoke)).toEqual(['proj_teamA1']);
  });

  it('a suspended permitted share still shields a recorded project the policy allows', () => {
    const listed = [perm('proj_teamA1')];
    const s = share().projects().managing('proj_teamA1').suspended().build();
    expect(plan(enforced([s], listed)).revoke).toEqual([]);
  });

  it('a refused share without records gets no finalizer; one with records keeps getting it', () => {
    const bare = share('bare').in('elsewhere').projects('proj_teamA1').fresh().build();
    expect(plan(enforced([bare], [])).addFinalizer).toEqual([]);
    const holding = share('holding').in('elsewhere').projects().managing('proj_teamA1').build();
    holding.metadata.finalizers = [];
    expect(plan(enforced([holding], [perm('proj_teamA1')])).addFinalizer.map(keyOf)).toEqual([
      'elsewhere/holding',
    ]);
  });

  it('a PolicyDenied failure recorded earlier does not hold a now-permitted project back', () => {
    const s = share()
      .projects('proj_teamA1')
      .failing({ projectId: 'proj_teamA1', reason: 'PolicyDenied', message: 'was refused' })
      .build();
    const view = { ...enforced([s], []), retryFailed: false };
    expect(plan(view).grant).toEqual(['proj_teamA1']);
  });
});

describe('status under an enforced policy', () => {
  it('reports refused projects as PolicyDenied failures and Stalled, counting them as desired', () => {
    const s = share().projects('proj_teamA1', 'proj_finance').managing('proj_teamA1').build();
    const status = settle({
      view: enforced([s], [perm('proj_teamA1')]),
      grantFailures: new Map(),
      now: new Date(),
    }).statuses.get('ml/a');
    expect(status?.failures).toEqual([
      { projectId: 'proj_finance', reason: 'PolicyDenied', message: expect.stringContaining('proj_finance') },
    ]);
    expect(status).toMatchObject({ desiredCount: 2, grantedCount: 1 });
    const stalled = status?.conditions?.find((c) => c.type === 'Stalled');
    expect(stalled).toMatchObject({ status: 'True', reason: 'PolicyDenied' });
    expect(stalled?.message).toContain('proj_finance');
    expect(status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
  });

  it('names the mode of a share refused for it', () => {
    const s = share().projects('proj_teamA1').authoritative().build();
    const status = settle({
      view: enforced([s], []),
      grantFailures: new Map(),
      now: new Date(),
    }).statuses.get('ml/a');
    expect(status?.conditions?.find((c) => c.type === 'Stalled')?.message).toContain('mode Authoritative');
  });

  it('releases the finalizer of a refused share once it holds no records', () => {
    const s = share().in('elsewhere').projects('proj_teamA1').managing().build();
    expect(s.metadata.finalizers).toEqual([FINALIZER]);
    const { releaseFinalizer } = settle({
      view: enforced([s], []),
      grantFailures: new Map(),
      now: new Date(),
    });
    expect(releaseFinalizer.map(keyOf)).toEqual(['elsewhere/a']);
    const holding = share().in('elsewhere').projects().managing('proj_teamA1').build();
    const held = settle({
      view: enforced([holding], [perm('proj_teamA1')]),
      grantFailures: new Map(),
      now: new Date(),
    });
    expect(held.releaseFinalizer).toEqual([]);
  });
});
