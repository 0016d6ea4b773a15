import { describe, expect, it } from 'vitest';
import { API_VERSION, POLICY_KIND } from '../../src/api/constants.js';
import type { CheckpointSharePolicy, CheckpointSharePolicySpec } from '../../src/api/policy-types.js';
import { compileGlob } from '../../src/tenancy/glob.js';
import { compileSelector, type LabelSelector } from '../../src/tenancy/label-selector.js';
import { compilePolicy, effectiveShare, judge } from '../../src/tenancy/policy.js';
import { K, share } from '../support/builders.js';

describe('policy globs', () => {
  const cases: { reason: string; glob: string; id: string; matches: boolean }[] = [
    { reason: 'an id without * matches only itself', glob: 'proj_a', id: 'proj_a', matches: true },
    { reason: 'no prefix match without *', glob: 'proj_a', id: 'proj_ab', matches: false },
    { reason: 'no suffix match without *', glob: 'proj_b', id: 'proj_ab', matches: false },
    { reason: '* matches any run, here empty', glob: 'proj_teamA*', id: 'proj_teamA', matches: true },
    { reason: '* matches a run', glob: 'proj_teamA*', id: 'proj_teamA42', matches: true },
    { reason: 'the whole id must match', glob: 'proj_teamA*', id: 'xproj_teamA42', matches: false },
    { reason: '* crosses colons', glob: 'ft:gpt-4o-mini-2024-07-18:acme:*', id: K, matches: true },
    {
      reason: '* in the middle',
      glob: 'ft:*:acme:team-a-*',
      id: 'ft:gpt-4o-mini-2024-07-18:acme:team-a-x:B7R9VjQd',
      matches: true,
    },
    { reason: 'dots are literal', glob: 'ft:gpt-4o.mini*', id: 'ft:gpt-4oXmini', matches: false },
    { reason: '? is literal', glob: 'proj_?', id: 'proj_a', matches: false },
    { reason: '[ is literal', glob: 'proj_[ab]', id: 'proj_a', matches: false },
    { reason: 'a lone * matches everything', glob: '*', id: 'proj_anything', matches: true },
    { reason: 'case matters', glob: 'proj_A*', id: 'proj_a1', matches: false },
  ];
  it.each(cases)('$reason', ({ glob, id, matches }) => {
    expect(compileGlob(glob)(id)).toBe(matches);
  });
});

describe('namespace selectors', () => {
  const cases: {
    reason: string;
    selector: LabelSelector;
    labels: Record<string, string>;
    matches: boolean;
  }[] = [
    { reason: '{} selects every namespace', selector: {}, labels: {}, matches: true },
    {
      reason: 'matchLabels needs the value',
      selector: { matchLabels: { team: 'a' } },
      labels: { team: 'b' },
      matches: false,
    },
    {
      reason: 'matchLabels matches',
      selector: { matchLabels: { team: 'a' } },
      labels: { team: 'a', x: 'y' },
      matches: true,
    },
    {
      reason: 'In needs the key',
      selector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['a', 'b'] }] },
      labels: {},
      matches: false,
    },
    {
      reason: 'NotIn holds without the key',
      selector: { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['a'] }] },
      labels: {},
      matches: true,
    },
    {
      reason: 'DoesNotExist refuses a present key',
      selector: { matchExpressions: [{ key: 'frozen', operator: 'DoesNotExist' }] },
      labels: { frozen: '' },
      matches: false,
    },
    {
      reason: 'matchLabels and matchExpressions are ANDed',
      selector: { matchLabels: { team: 'a' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
      labels: { team: 'a' },
      matches: false,
    },
  ];
  it.each(cases)('$reason', ({ selector, labels, matches }) => {
    const compiled = compileSelector(selector);
    if (compiled.problem !== undefined) throw new Error(compiled.problem);
    expect(compiled.selector(labels)).toBe(matches);
  });

  it.each([
    {
      reason: 'unknown operator',
      selector: { matchExpressions: [{ key: 'a', operator: 'Equals' }] },
      says: 'operator',
    },
    {
      reason: 'In without values',
      selector: { matchExpressions: [{ key: 'a', operator: 'In' }] },
      says: 'non-empty',
    },
    {
      reason: 'Exists with values',
      selector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
      says: 'must be empty',
    },
  ])('refuses an unusable selector: $reason', ({ selector, says }) => {
    const compiled = compileSelector(selector);
    expect(compiled.problem).toContain('namespaceSelector.matchExpressions[0]');
    expect(compiled.problem).toContain(says);
  });
});

function policy(name: string, spec: Partial<CheckpointSharePolicySpec>): CheckpointSharePolicy {
  return {
    apiVersion: API_VERSION,
    kind: POLICY_KIND,
    metadata: { name },
    spec: {
      namespaceSelector: {},
      checkpoints: ['*'],
      projects: ['*'],
      modes: ['Managed'],
      ...spec,
    },
  };
}

const teamA = policy('team-a', {
  namespaceSelector: { matchLabels: { team: 'a' } },
  checkpoints: ['ft:gpt-4o-mini-2024-07-18:acme:*'],
  projects: ['proj_teamA*', 'proj_shared01'],
});
const platform = policy('platform', {
  namespaceSelector: { matchLabels: { team: 'platform' } },
  modes: ['Managed', 'Authoritative'],
});
const A = { team: 'a' };

describe('judge', () => {
  const cases = [
    {
      reason: 'no policy applies: the share is refused, naming the checkpoint',
      policies: [teamA],
      labels: { team: 'b' },
      share: share().projects('proj_teamA1').build(),
      permitted: false,
      projects: [],
      refused: ['proj_teamA1'],
      says: [`share checkpoint ${K}`],
    },
    {
      reason: 'the checkpoint glob does not match: refused',
      policies: [teamA],
      labels: A,
      share: share().on('ft:gpt-4o-2024-08-06:acme:other:X1').projects('proj_teamA1').build(),
      permitted: false,
      projects: [],
      refused: ['proj_teamA1'],
      says: ['ft:gpt-4o-2024-08-06:acme:other:X1'],
    },
    {
      reason: 'a mode no applying policy allows: refused, naming the mode',
      policies: [teamA, platform],
      labels: A,
      share: share().projects('proj_teamA1').authoritative().build(),
      permitted: false,
      projects: [],
      refused: ['proj_teamA1'],
      says: ['mode Authoritative', 'allow Managed'],
    },
    {
      reason: 'projects outside the globs are refused one by one',
      policies: [teamA],
      labels: A,
      share: share().projects('proj_teamA1', 'proj_finance', 'proj_shared01').build(),
      permitted: true,
      projects: ['proj_teamA1', 'proj_shared01'],
      refused: ['proj_finance'],
      says: ['project proj_finance is not allowed'],
    },
    {
      reason: 'several applying policies add their projects and modes',
      policies: [
        teamA,
        policy('extra', { namespaceSelector: { matchLabels: A }, projects: ['proj_finance'] }),
      ],
      labels: A,
      share: share().projects('proj_teamA1', 'proj_finance').build(),
      permitted: true,
      projects: ['proj_teamA1', 'proj_finance'],
      refused: [],
      says: [],
    },
    {
      reason: 'a policy with an unusable selector applies to nothing',
      policies: [
        policy('broken', { namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Is' }] } }),
      ],
      labels: A,
      share: share().projects('proj_teamA1').build(),
      permitted: false,
      projects: [],
      refused: ['proj_teamA1'],
      says: ['no CheckpointSharePolicy'],
    },
  ];
  it.each(cases)('$reason', ({ policies, labels, share: s, permitted, projects, refused, says }) => {
    const verdict = judge(s, labels, policies.map(compilePolicy));
    expect(verdict.permitted).toBe(permitted);
    expect(verdict.projects).toEqual(projects);
    expect(verdict.refusedProjects).toEqual(refused);
    if (says.length === 0) expect(verdict.refusal).toBeUndefined();
    for (const text of says) expect(verdict.refusal).toContain(text);
  });

  it('answers for any project id, such as a record the share holds', () => {
    const verdict = judge(share().projects('proj_teamA1').build(), A, [compilePolicy(teamA)]);
    expect(verdict.allows('proj_teamA9')).toBe(true);
    expect(verdict.allows('proj_legal')).toBe(false);
  });

  it('reports an unusable policy spec', () => {
    expect(
      compilePolicy(policy('p', { namespaceSelector: { matchExpressions: [{ key: 'k', operator: 'In' }] } }))
        .problem,
    ).toContain('values');
    expect(compilePolicy(teamA).problem).toBeUndefined();
  });
});

describe('effectiveShare', () => {
  it('is the same object when nothing is refused', () => {
    const s = share().projects('proj_teamA1').build();
    expect(effectiveShare(s, judge(s, A, [compilePolicy(teamA)]))).toBe(s);
  });

  it('keeps only permitted projects of a permitted share', () => {
    const s = share().projects('proj_teamA1', 'proj_finance').suspended().build();
    const effective = effectiveShare(s, judge(s, A, [compilePolicy(teamA)]));
    expect(effective.spec).toMatchObject({ projectIds: ['proj_teamA1'], suspend: true });
    expect(s.spec.projectIds).toEqual(['proj_teamA1', 'proj_finance']);
  });

  it('makes a refused share want nothing, and neither Authoritative nor suspended', () => {
    const s = share().projects('proj_teamA1').authoritative().suspended().build();
    const effective = effectiveShare(s, judge(s, A, [compilePolicy(teamA)]));
    expect(effective.spec).toMatchObject({ projectIds: [], mode: 'Managed', suspend: false });
    expect(effective.metadata).toBe(s.metadata);
  });
});
