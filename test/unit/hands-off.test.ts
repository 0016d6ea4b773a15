import { describe, expect, it } from 'vitest';
import {
  authoritative,
  handsOff,
  mayRevokeUnrecorded,
  releasableWithoutOpenAI,
} from '../../src/reconcile/hands-off.js';
import { share } from '../support/builders.js';

const live = () => share('a').projects('proj_a').managing('proj_a');

describe('hands-off: which projects a share may touch', () => {
  const cases = [
    { reason: 'a live share acts on its projects', s: live(), off: false, release: false, auth: false },
    {
      reason: 'a suspended share makes no writes',
      s: live().suspended(),
      off: true,
      release: false,
      auth: false,
    },
    {
      reason: 'a suspended share makes no writes even while deleted, and lets go at once',
      s: live().suspended().deleting(),
      off: true,
      release: true,
      auth: false,
    },
    {
      reason: 'an Orphan deletion leaves its grants',
      s: live().orphan().deleting(),
      off: true,
      release: true,
      auth: false,
    },
    {
      reason: 'an Orphan policy on a live share changes nothing yet',
      s: live().orphan(),
      off: false,
      release: false,
      auth: false,
    },
    {
      reason: 'a Revoke deletion that recorded grants must revoke them first',
      s: live().deleting(),
      off: false,
      release: false,
      auth: false,
    },
    {
      reason: 'a Revoke deletion that never recorded a grant needs nothing from OpenAI',
      s: share('a').projects('proj_a').deleting(),
      off: false,
      release: true,
      auth: false,
    },
    {
      reason: 'Authoritative is in force on a live share',
      s: live().authoritative(),
      off: false,
      release: false,
      auth: true,
    },
    {
      reason: 'a suspended Authoritative share revokes nothing',
      s: live().authoritative().suspended(),
      off: true,
      release: false,
      auth: false,
    },
  ];
  for (const { reason, s, off, release, auth } of cases) {
    it(reason, () => {
      const built = s.build();
      expect({
        handsOff: handsOff(built),
        release: releasableWithoutOpenAI(built),
        auth: authoritative(built),
      }).toEqual({
        handsOff: off,
        release,
        auth,
      });
    });
  }

  it.each([
    {
      reason: 'no Authoritative share: only recorded projects are revoked',
      auth: false,
      partial: false,
      may: false,
    },
    {
      reason: 'Authoritative with every namespace listed takes unrecorded ones too',
      auth: true,
      partial: false,
      may: true,
    },
    {
      reason: 'Authoritative with a namespace unlisted: an unseen share may want them',
      auth: true,
      partial: true,
      may: false,
    },
  ])('$reason', ({ auth, partial, may }) => {
    expect(mayRevokeUnrecorded(auth, partial)).toBe(may);
  });
});
