import { afterEach, describe, expect, it } from 'vitest';
import { FINALIZER } from '../../src/api/constants.js';
import { CKPT, CKPT2, Env } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

let env: Env;
afterEach(async () => {
  await env.close();
});

describe('reconciler, end to end: lifecycle', () => {
  it('1. a new share is granted in one create call and reports Ready, grants, counts and observedGeneration', async () => {
    env = await Env.start();
    env.startOperator();
    await env.create('weather', { projectIds: ['proj_a', 'proj_b', 'proj_c'] });
    const share = await env.waitForReady('weather');

    expect(env.openai.counts().grant).toBe(1);
    expect(env.openai.counts().revoke).toBe(0);
    expect(env.granted()).toEqual(['proj_a', 'proj_b', 'proj_c']);
    const stored = new Map(env.openai.store.permissions(CKPT).map((p) => [p.projectId, p.id]));
    expect(share.status?.grants?.map((g) => [g.projectId, g.permissionId])).toEqual(
      ['proj_a', 'proj_b', 'proj_c'].map((p) => [p, stored.get(p)]),
    );
    expect(
      share.status?.grants?.every((g) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(g.createdAt ?? '')),
    ).toBe(true);
    expect(share.status).toMatchObject({
      checkpoint: CKPT,
      managedProjects: ['proj_a', 'proj_b', 'proj_c'],
      desiredCount: 3,
      grantedCount: 3,
      failures: [],
      observedGeneration: share.metadata.generation,
    });
    expect(share.metadata.finalizers).toContain(FINALIZER);
    expect(share.status?.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['Ready', 'True'],
      ['Reconciling', 'False'],
      ['Stalled', 'False'],
    ]);
    // A new object's first grants are in its status; events are kept for changes after that.
    const events = await env.events('weather');
    expect(events.filter((e) => e.reason === 'Granted')).toEqual([]);
  });

  it('2. adding and removing projects changes only those; untouched projects cause no calls', async () => {
    env = await Env.start();
    env.startOperator();
    await env.create('weather', { projectIds: ['proj_a', 'proj_b', 'proj_c'] });
    await env.waitForReady('weather');
    const before = new Map(env.openai.store.permissions(CKPT).map((p) => [p.projectId, p.id]));
    env.openai.clearRequests();

    const edited = await env.patchSpec('weather', { projectIds: ['proj_a', 'proj_b', 'proj_d'] });
    await waitFor('the edit to converge', async () => {
      const share = await env.get('weather');
      return (
        share?.status?.observedGeneration === edited.metadata.generation &&
        share?.status?.grantedCount === 3 &&
        env.granted().join() === 'proj_a,proj_b,proj_d'
      );
    });
    await env.waitForReady('weather');

    const counts = env.openai.counts();
    expect(counts.grant).toBe(1);
    expect(counts.revoke).toBe(1);
    const after = new Map(env.openai.store.permissions(CKPT).map((p) => [p.projectId, p.id]));
    expect(after.get('proj_a')).toBe(before.get('proj_a'));
    expect(after.get('proj_b')).toBe(before.get('proj_b'));
    const share = await env.get('weather');
    expect(share?.status?.managedProjects).toEqual(['proj_a', 'proj_b', 'proj_d']);
    const events = await env.events('weather');
    expect(events).toContainEqual(
      expect.objectContaining({ reason: 'Revoked', message: expect.stringContaining('proj_c') }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        reason: 'Granted',
        type: 'Normal',
        message: expect.stringContaining('proj_d'),
      }),
    );
  });

  it('3. of two shares with overlapping projects, deleting one revokes only what the other does not want', async () => {
    env = await Env.start();
    env.startOperator();
    await env.create('search', { projectIds: ['proj_search', 'proj_dash'] });
    await env.create('bi', { projectIds: ['proj_dash', 'proj_report'] });
    await env.waitForReady('search');
    await env.waitForReady('bi');
    expect(env.granted()).toEqual(['proj_dash', 'proj_report', 'proj_search']);

    await env.delete('search');
    await env.waitForGone('search');
    expect(env.granted()).toEqual(['proj_dash', 'proj_report']);
    const bi = await env.waitForReady('bi');
    expect(bi.status?.grantedCount).toBe(2);
  });

  it('4a. deleting a Revoke share revokes its grants, then the object goes', async () => {
    env = await Env.start();
    env.startOperator();
    await env.create('weather', { projectIds: ['proj_a', 'proj_b'] });
    await env.waitForReady('weather');
    await env.delete('weather');
    await env.waitForGone('weather');
    expect(env.granted()).toEqual([]);
    expect(env.openai.counts().revoke).toBe(2);
  });

  it('4b. deleting an Orphan share leaves its grants, and the object goes', async () => {
    env = await Env.start();
    env.startOperator();
    await env.create('weather', { projectIds: ['proj_a', 'proj_b'], deletionPolicy: 'Orphan' });
    await env.waitForReady('weather');
    await env.delete('weather');
    await env.waitForGone('weather');
    expect(env.granted()).toEqual(['proj_a', 'proj_b']);
    expect(env.openai.counts().revoke).toBe(0);
  });

  it('5. changing spec.checkpoint revokes on the old checkpoint and grants on the new one', async () => {
    env = await Env.start();
    env.startOperator();
    await env.create('weather', { projectIds: ['proj_a', 'proj_b'] });
    await env.waitForReady('weather');
    await env.patchSpec('weather', { checkpoint: CKPT2 });
    const moved = await waitFor('the share to move', async () => {
      const share = await env.get('weather');
      const ready = share?.status?.conditions?.find((c) => c.type === 'Ready');
      return share?.status?.checkpoint === CKPT2 &&
        ready?.status === 'True' &&
        share.status.observedGeneration === share.metadata.generation
        ? share
        : undefined;
    });
    expect(env.granted(CKPT)).toEqual([]);
    expect(env.granted(CKPT2)).toEqual(['proj_a', 'proj_b']);
    expect(moved.status?.managedProjects).toEqual(['proj_a', 'proj_b']);
  });

  it('7. a permission that already exists for a desired project is adopted, never duplicated', async () => {
    env = await Env.start();
    const existing = env.openai.store.addPermission(CKPT, 'proj_a');
    env.startOperator();
    await env.create('weather', { projectIds: ['proj_a', 'proj_b'] });
    const share = await env.waitForReady('weather');
    expect(env.granted()).toEqual(['proj_a', 'proj_b']);
    expect(env.openai.counts().grant).toBe(1);
    expect(share.status?.grants?.find((g) => g.projectId === 'proj_a')?.permissionId).toBe(existing.id);
    expect(share.status?.managedProjects).toEqual(['proj_a', 'proj_b']);
    const events = await env.events('weather');
    expect(events).toContainEqual(
      expect.objectContaining({ reason: 'Adopted', message: expect.stringContaining('proj_a') }),
    );
  });
});
