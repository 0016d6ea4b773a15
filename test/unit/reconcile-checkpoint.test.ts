import { describe, expect, it } from 'vitest';
import type { CheckpointShare, CheckpointShareStatus } from '../../src/api/types.js';
import type { EventRecorder } from '../../src/kube/events.js';
import type { ShareWriter } from '../../src/kube/share-writer.js';
import type { Permission, PermissionsApi } from '../../src/openai/permissions.js';
import { CheckpointReconciler, type ReconcileDeps } from '../../src/reconcile/reconcile-checkpoint.js';
import { K, perm, share } from '../support/builders.js';

/** In-memory OpenAI and Kubernetes fakes that record every call. */
/** `listed` undefined: the checkpoint does not exist. */
function fakes(shares: CheckpointShare[], listed: Permission[] | undefined) {
  const calls: string[] = [];
  const permissions: PermissionsApi = {
    list: async () => {
      calls.push('list');
      return listed === undefined ? { exists: false } : { exists: true, permissions: listed };
    },
    grant: async (_checkpoint, projectIds) => {
      calls.push(`grant ${projectIds.join(',')}`);
      return { granted: projectIds.map((p) => perm(p)), failed: [] };
    },
    revoke: async (_checkpoint, id) => {
      calls.push(`revoke ${id}`);
    },
  };
  const bump = (s: CheckpointShare): CheckpointShare => ({
    ...s,
    metadata: { ...s.metadata, resourceVersion: String(Number(s.metadata.resourceVersion) + 1) },
  });
  const writer: ShareWriter = {
    get: async () => undefined,
    addFinalizer: async (s) => {
      calls.push(`finalizer+ ${s.metadata.name}`);
      return bump(s);
    },
    removeFinalizer: async (s) => {
      calls.push(`finalizer- ${s.metadata.name}`);
      return undefined;
    },
    writeStatus: async (s, status: CheckpointShareStatus) => {
      calls.push(`status ${s.metadata.name} ${(status.managedProjects ?? []).join(',')}`);
      return { ...bump(s), status };
    },
  };
  const events: EventRecorder = { record: async (_s, reason) => void calls.push(`event ${reason}`) };
  const source = { sharesOn: () => shares, remember: () => undefined, markGone: () => undefined };
  return { calls, permissions, writer, events, source };
}

function reconcilerFor(
  f: ReturnType<typeof fakes>,
  extra: Partial<ReconcileDeps> = {},
): CheckpointReconciler {
  return new CheckpointReconciler({
    shares: f.source,
    writer: f.writer,
    permissions: f.permissions,
    events: f.events,
    driftIntervalMs: () => 60_000,
    minIntervalMs: 30_000,
    failedRecheckMs: 600_000,
    now: () => new Date('2026-11-29T09:00:00Z'),
    ...extra,
  });
}

describe('CheckpointReconciler', () => {
  it('records ownership before it grants, and grants in one call', async () => {
    const f = fakes([share('a').projects('proj_a', 'proj_b').fresh().build()], []);
    const reconciler = reconcilerFor(f);
    const outcome = await reconciler.reconcile(K);
    expect(f.calls.slice(0, 4)).toEqual([
      'list',
      'finalizer+ a',
      'status a proj_a,proj_b',
      'grant proj_a,proj_b',
    ]);
    expect(outcome.granted).toEqual(['proj_a', 'proj_b']);
    expect(outcome.requeueAfterMs).toBe(60_000);
  });

  it.each([
    {
      reason: 'an interval under the floor (past the CRD rule) waits for the floor',
      interval: '1ms',
      ms: 30_000,
    },
    { reason: 'zero waits for the floor, not for the default', interval: '0s', ms: 30_000 },
    { reason: 'an interval between the floor and the default is kept', interval: '45s', ms: 45_000 },
    { reason: 'an interval over the default gives way to the default', interval: '1h', ms: 60_000 },
  ])('requeues a converged checkpoint after its interval: $reason', async ({ interval, ms }) => {
    const f = fakes(
      [share('a').projects('proj_a').with({ interval }).managing('proj_a').build()],
      [perm('proj_a')],
    );
    const outcome = await reconcilerFor(f).reconcile(K);
    expect(outcome.requeueAfterMs).toBe(ms);
  });

  it('answers a checkpoint that does not exist with Stalled CheckpointNotFound, once', async () => {
    const f = fakes([share('a').projects('proj_a').managing('proj_a').build()], undefined);
    const outcome = await reconcilerFor(f).reconcile(K);
    expect(f.calls).toEqual(['list', 'status a proj_a', 'event CheckpointNotFound']);
    // Nothing to look at until the slow recheck: the checkpoint may come back, the grants will not.
    expect(outcome.requeueAfterMs).toBe(600_000);
  });

  it('makes no write at all once the leadership fence says no', async () => {
    const f = fakes([share('a').projects('proj_a').fresh().build()], []);
    const reconciler = reconcilerFor(f, {
      fence: () => {
        throw new Error('not leader');
      },
    });
    await expect(reconciler.reconcile(K)).rejects.toThrow('not leader');
    expect(f.calls).toEqual(['list']);
  });

  it('records no event once the fence says no, even after OpenAI granted', async () => {
    const f = fakes([share('a').projects('proj_a').fresh().build()], []);
    // Leadership is lost while the grant is in flight: what follows it must not be written.
    const reconciler = reconcilerFor(f, {
      fence: () => {
        if (f.calls.some((c) => c.startsWith('grant'))) throw new Error('not leader');
      },
    });
    await expect(reconciler.reconcile(K)).rejects.toThrow('not leader');
    expect(f.calls).toContain('grant proj_a');
    expect(f.calls.filter((c) => c.startsWith('event'))).toEqual([]);
  });

  it.each([
    {
      reason: 'a new share: list, finalizer, record, grant, event, status',
      shares: () => [share('a').projects('proj_a').fresh().build()],
      listed: () => [],
    },
    {
      reason: 'a deleting share: list, revoke, list, finalizer release',
      shares: () => [share('a').projects('proj_a').managing('proj_a').deleting().build()],
      listed: () => [perm('proj_a')],
    },
  ])('hands the pass signal to every OpenAI and Kubernetes call: $reason', async ({ shares, listed }) => {
    const f = fakes(shares(), listed());
    const pass = new AbortController();
    const received: Array<[string, boolean]> = [];
    /** Records, per call, whether its last argument was the pass's signal. */
    const watching = <T extends object>(target: T): T =>
      new Proxy(target, {
        get(object, property) {
          const value: unknown = Reflect.get(object, property);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            received.push([String(property), args.at(-1) === pass.signal]);
            return Reflect.apply(value, object, args);
          };
        },
      });
    const reconciler = reconcilerFor(f, {
      permissions: watching(f.permissions),
      writer: watching(f.writer),
      events: watching(f.events),
    });
    await reconciler.reconcile(K, pass.signal);
    expect(received.length).toBeGreaterThanOrEqual(4);
    expect(received.filter(([, carried]) => !carried)).toEqual([]);
  });

  it('releases an Orphan deletion before asking OpenAI anything', async () => {
    const f = fakes(
      [share('a').projects('proj_a').managing('proj_a').orphan().deleting().build()],
      [perm('proj_a')],
    );
    const reconciler = reconcilerFor(f);
    await reconciler.reconcile(K);
    expect(f.calls).toEqual(['finalizer- a']);
  });

  it.each([
    {
      reason: 'every namespace listed: the foreign permission goes',
      partial: false,
      revoked: ['cp_b'],
      requeue: 60_000,
    },
    {
      reason: 'a namespace unlisted: it stays, and the pass looks again soon',
      partial: true,
      revoked: [],
      requeue: 30_000,
    },
  ])('Authoritative, $reason', async (c) => {
    const f = fakes(
      [share('a').projects('proj_a').managing('proj_a').authoritative().build()],
      [perm('proj_a'), perm('proj_b', 'cp_b')],
    );
    const outcome = await reconcilerFor(f, { partialView: () => c.partial }).reconcile(K);
    expect(f.calls.filter((call) => call.startsWith('revoke')).map((call) => call.slice(7))).toEqual(
      c.revoked,
    );
    expect(outcome.requeueAfterMs).toBe(c.requeue);
  });
});
