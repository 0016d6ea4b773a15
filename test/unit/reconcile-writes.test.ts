import { describe, expect, it } from 'vitest';
import { ConditionType } from '../../src/api/constants.js';
import type { CheckpointShare } from '../../src/api/types.js';
import type { EventRecorder } from '../../src/kube/events.js';
import type { ShareWriter } from '../../src/kube/share-writer.js';
import type { Permission, PermissionsApi } from '../../src/openai/permissions.js';
import { CheckpointReconciler, PASS_WRITE_WIDTH } from '../../src/reconcile/reconcile-checkpoint.js';
import { keyOf } from '../../src/reconcile/share-facts.js';
import { K, perm, share } from '../support/builders.js';

/**
 * What a pass costs Kubernetes: a stateful fake API (objects change as they are written, so a
 * second pass sees the first one's writes) that counts every write and how many were in flight
 * at once, and can hold writes until the test lets them go.
 */
function cluster(initial: CheckpointShare[], listed: Permission[] = []) {
  const objects = new Map(initial.map((s) => [keyOf(s), s]));
  const writes: string[] = [];
  let inFlight = 0;
  let peakInFlight = 0;
  let gate: Promise<void> = Promise.resolve();
  let failing: string | undefined;
  const write = async <T>(label: string, name: string, apply: () => T): Promise<T> => {
    writes.push(`${label} ${name}`);
    inFlight += 1;
    peakInFlight = Math.max(peakInFlight, inFlight);
    try {
      // A refused write answers at once; the others wait for the gate.
      if (failing === `${label} ${name}`) throw Object.assign(new Error('conflict'), { code: 409 });
      await gate;
      return apply();
    } finally {
      inFlight -= 1;
    }
  };
  const bump = (s: CheckpointShare): CheckpointShare => ({
    ...s,
    metadata: { ...s.metadata, resourceVersion: String(Number(s.metadata.resourceVersion) + 1) },
  });
  const store = (s: CheckpointShare) => {
    objects.set(keyOf(s), s);
    return s;
  };
  const writer: ShareWriter = {
    get: async (namespace, name) => objects.get(`${namespace}/${name}`),
    addFinalizer: (s) =>
      write('finalizer', s.metadata.name, () =>
        store(bump({ ...s, metadata: { ...s.metadata, finalizers: ['checkpointshare.io/revoke'] } })),
      ),
    removeFinalizer: (s) =>
      write('unfinalize', s.metadata.name, () => {
        objects.delete(keyOf(s));
        return undefined;
      }),
    writeStatus: (s, status) => write('status', s.metadata.name, () => store(bump({ ...s, status }))),
  };
  const events: EventRecorder = {
    record: (s, reason) => write(`event:${reason}`, s.metadata.name, () => undefined),
  };
  const permissions: PermissionsApi = {
    list: async () => ({ exists: true, permissions: listed }),
    grant: async (_checkpoint, projectIds) => {
      const granted = projectIds.map((p) => perm(p));
      listed = [...listed, ...granted];
      return { granted, failed: [] };
    },
    revoke: async (_checkpoint, id) => {
      listed = listed.filter((p) => p.id !== id);
    },
  };
  const reconciler = new CheckpointReconciler({
    shares: {
      sharesOn: () => [...objects.values()],
      remember: (s) => void objects.set(keyOf(s), s),
      markGone: (s) => void objects.delete(keyOf(s)),
    },
    writer,
    permissions,
    events,
    driftIntervalMs: () => 60_000,
    minIntervalMs: 30_000,
    failedRecheckMs: 600_000,
    now: () => new Date('2026-12-02T09:00:00Z'),
  });
  let release: () => void = () => undefined;
  return {
    reconciler,
    writes,
    objects,
    permissions: () => listed,
    peakInFlight: () => peakInFlight,
    holdWrites() {
      gate = new Promise((resolve) => {
        release = resolve;
      });
    },
    releaseWrites: () => release(),
    failWrite(label: string) {
      failing = label;
    },
  };
}

const ready = (s: CheckpointShare | undefined) =>
  s?.status?.conditions?.find((c) => c.type === ConditionType.Ready)?.status;

describe('what a pass writes to Kubernetes', () => {
  it('a new object costs three writes: finalizer, ownership record, status; then nothing', async () => {
    const c = cluster([share('a').projects('proj_a', 'proj_b').fresh().build()]);
    await c.reconciler.reconcile(K);
    expect(c.writes).toEqual(['finalizer a', 'status a', 'status a']);
    expect(ready(c.objects.get('ml/a'))).toBe('True');
    expect(c.objects.get('ml/a')?.status?.grants?.map((g) => g.projectId)).toEqual(['proj_a', 'proj_b']);

    c.writes.length = 0;
    await c.reconciler.reconcile(K);
    expect(c.writes).toEqual([]);
  });

  it('announces grants that change the access of an object that was already settled', async () => {
    const c = cluster([share('a').projects('proj_a').fresh().build()]);
    await c.reconciler.reconcile(K);
    // A permission revoked by hand comes back: that is news, and says so on the object.
    c.permissions().splice(0, 1);
    c.writes.length = 0;
    await c.reconciler.reconcile(K);
    expect(c.writes.sort()).toEqual(['event:Granted a', 'status a']);
  });

  it('sends each stage of a checkpoint with many objects at once, not one write after another', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const c = cluster(names.map((n) => share(n).projects(`proj_${n}`).fresh().build()));
    c.holdWrites();
    const pass = c.reconciler.reconcile(K);
    // All five finalizers are in flight before any of them returns.
    await expect.poll(() => c.writes.length).toBe(5);
    expect(c.writes.every((w) => w.startsWith('finalizer'))).toBe(true);
    c.releaseWrites();
    await pass;
    expect(c.peakInFlight()).toBe(5);
    expect(c.writes.filter((w) => w.startsWith('status'))).toHaveLength(10);
    expect(
      c
        .permissions()
        .map((p) => p.projectId)
        .sort(),
    ).toEqual(names.map((n) => `proj_${n}`));
  });

  it('keeps at most PASS_WRITE_WIDTH writes in flight, however many objects share the checkpoint', async () => {
    const names = Array.from({ length: 3 * PASS_WRITE_WIDTH }, (_, i) => `s${i}`);
    const c = cluster(names.map((n) => share(n).projects(`proj_${n}`).fresh().build()));
    await c.reconciler.reconcile(K);
    expect(c.peakInFlight()).toBe(PASS_WRITE_WIDTH);
    expect(c.writes).toHaveLength(3 * names.length);
    expect(c.permissions()).toHaveLength(names.length);
  });

  it('fails a stage only once every write of it has settled, and grants nothing after a failed record', async () => {
    const c = cluster([
      share('a').projects('proj_a').fresh().build(),
      share('b').projects('proj_b').fresh().build(),
    ]);
    await c.reconciler.reconcile(K).catch(() => undefined);
    c.writes.length = 0;
    // Finalizers are on now; b's record is refused at once while a's is still in flight.
    for (const key of ['ml/a', 'ml/b']) {
      const s = c.objects.get(key);
      if (s) {
        const { status: _, ...rest } = s;
        c.objects.set(key, rest);
      }
    }
    c.permissions().length = 0;
    c.failWrite('status b');
    c.holdWrites();
    let settled = false;
    const pass = c.reconciler.reconcile(K).finally(() => {
      settled = true;
    });
    await expect.poll(() => c.writes.length).toBe(2);
    await Promise.resolve();
    expect(settled).toBe(false);
    c.releaseWrites();
    await expect(pass).rejects.toThrow('conflict');
    // a's record landed; b's did not; no grant was sent for either, so nothing is unrecorded.
    expect(c.objects.get('ml/a')?.status?.managedProjects).toEqual(['proj_a']);
    expect(c.objects.get('ml/b')?.status).toBeUndefined();
    expect(c.permissions()).toEqual([]);
  });
});
