import { describe, expect, it } from 'vitest';
import { needsPass } from '../../src/controller/predicates.js';
import { K2, share } from '../support/builders.js';

const base = () => share('a').projects('proj_a').managing('proj_a');

describe('needsPass: which watched updates queue a reconcile', () => {
  const cases = [
    {
      reason: 'a new project in the spec changes the plan',
      after: base().projects('proj_a', 'proj_b'),
      pass: true,
    },
    { reason: 'a new checkpoint in the spec moves the grants', after: base().on(K2), pass: true },
    { reason: 'suspending stops all writes', after: base().suspended(), pass: true },
    { reason: 'a deletion starts the release', after: base().deleting(), pass: true },
    { reason: 'a finished move changes the home checkpoint', after: base().home(K2), pass: true },
    {
      reason: 'someone removed the finalizer of a live object',
      after: base().fresh().managing('proj_a'),
      pass: true,
    },
    {
      reason: "the operator's own status write feeds nothing back",
      after: base().managing('proj_a', 'proj_b'),
      pass: false,
    },
    { reason: 'an identical resync delivers nothing new', after: base(), pass: false },
    {
      reason: 'a reconcile request asks for a pass now',
      after: base().annotated({ 'checkpointshare.io/reconcile-requested-at': '2026-12-02T05:00:00Z' }),
      pass: true,
    },
    {
      reason: "Flux's reconcile request asks for a pass now",
      after: base().annotated({ 'reconcile.fluxcd.io/requestedAt': '2026-12-02T05:00:00.1Z' }),
      pass: true,
    },
    {
      reason: 'another annotation changes no plan',
      after: base().annotated({ 'example.com/owner': 'team-a' }),
      pass: false,
    },
  ];
  for (const { reason, after, pass } of cases) {
    it(reason, () => {
      expect(needsPass(base().build(), after.build())).toBe(pass);
    });
  }

  it('asks again only for a new request value', () => {
    const requested = (at: string) =>
      base().annotated({ 'checkpointshare.io/reconcile-requested-at': at }).build();
    expect(needsPass(requested('1'), requested('1'))).toBe(false);
    expect(needsPass(requested('1'), requested('2'))).toBe(true);
    expect(needsPass(requested('1'), base().build())).toBe(false);
  });

  it('lets a deleting object drop its finalizer without another pass', () => {
    const deleting = base().deleting();
    expect(needsPass(deleting.build(), base().deleting().fresh().build())).toBe(false);
  });
});
