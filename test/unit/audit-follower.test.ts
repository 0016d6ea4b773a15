import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AuditFollower,
  type DriftTargets,
  FAILURES_BEFORE_FALLBACK,
  MAX_DEFERRED_POLLS,
  OVERLAP_MS,
  RETRY_MS,
} from '../../src/drift/audit-follower.js';
import { driftInterval } from '../../src/drift/drift-interval.js';
import { OwnChanges, observeOwnChanges } from '../../src/drift/own-changes.js';
import { createLogger } from '../../src/observability/logger.js';
import type { DriftMode, DriftReason } from '../../src/observability/metrics.js';
import type { AuditLogApi, PermissionEvent } from '../../src/openai/audit-log.js';
import { TerminalError, TransientError } from '../../src/openai/errors.js';
import type { PermissionsApi } from '../../src/openai/permissions.js';

const POLL_MS = 30_000;
const LIST_MS = 600_000;
const T0 = Date.parse('2026-12-02T10:00:00Z');

let seq = 0;
const created = (checkpoint: string, permissionId: string, atMs: number): PermissionEvent => ({
  id: `audit_log-${++seq}`,
  type: 'checkpoint.permission.created',
  effectiveAt: Math.floor(atMs / 1000),
  permissionId,
  checkpoint,
  projectId: 'proj_x',
});
const deleted = (permissionId: string, atMs: number): PermissionEvent => ({
  id: `audit_log-${++seq}`,
  type: 'checkpoint.permission.deleted',
  effectiveAt: Math.floor(atMs / 1000),
  permissionId,
});

/** An audit log whose entries become readable when `visible` says, with failures to play. */
function fakeLog() {
  const entries: Array<{ event: PermissionEvent; visibleAt: number }> = [];
  const reads: number[] = [];
  const failures: Error[] = [];
  const api: AuditLogApi = {
    async *permissionEvents(sinceSeconds) {
      reads.push(sinceSeconds);
      const failure = failures.shift();
      if (failure) throw failure;
      yield entries
        .filter((e) => e.visibleAt <= Date.now() && e.event.effectiveAt >= sinceSeconds)
        .map((e) => e.event);
    },
  };
  return {
    api,
    reads,
    failures,
    add(event: PermissionEvent, visibleAt = Date.now()) {
      entries.push({ event, visibleAt });
    },
  };
}

const refusal = () =>
  new TerminalError('OpenAI audit log read: 403 audit logging is not enabled', {
    operation: 'audit_log',
    checkpoint: 'the organization',
    status: 403,
    reason: 'Forbidden',
  });
const outage = () =>
  new TransientError('OpenAI audit log read: 503 unavailable', {
    operation: 'audit_log',
    checkpoint: 'the organization',
    status: 503,
  });

function rig(setting: 'auto' | 'on' = 'auto', busy?: () => boolean) {
  const log = fakeLog();
  const own = new OwnChanges();
  const grants = new Map<string, string>([['cp_recorded', 'ckpt-a']]);
  const targets: DriftTargets = {
    hasCheckpoint: (c) => c === 'ckpt-a' || c === 'ckpt-b',
    checkpointsHolding: (ids) => new Map([...grants].filter(([id]) => ids.has(id))),
    checkpoints: () => ['ckpt-a', 'ckpt-b'],
  };
  const added: string[] = [];
  const delayed: Array<[string, number]> = [];
  const queue = {
    add: (k: string) => added.push(k),
    addAfter: (k: string, ms: number) => delayed.push([k, ms]),
  };
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const modes: Array<[DriftMode, DriftReason]> = [];
  const events = new Map<string, number>();
  const polls: string[] = [];
  const follower = new AuditFollower({
    api: log.api,
    setting,
    pollIntervalMs: POLL_MS,
    listIntervalMs: LIST_MS,
    own,
    targets,
    queue,
    ...(busy ? { busy } : {}),
    logger,
    metrics: {
      events: (type, n) => events.set(type, (events.get(type) ?? 0) + n),
      poll: (result) => polls.push(result),
      mode: (mode, reason) => modes.push([mode, reason]),
    },
  });
  return { log, own, follower, added, delayed, lines, modes, events, polls };
}

describe('AuditFollower', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('queues the checkpoint of a permission granted by hand, once, and only if shares name it', async () => {
    const r = rig();
    r.follower.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.log.reads).toEqual([(T0 - OVERLAP_MS) / 1000]);
    r.log.add(created('ckpt-a', 'cp_hand', Date.now()));
    r.log.add(created('ckpt-unshared', 'cp_other', Date.now()));
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(r.added).toEqual(['ckpt-a']);
    // The next polls read the same entries again (overlap) and handle them no more.
    await vi.advanceTimersByTimeAsync(POLL_MS * 3);
    expect(r.added).toEqual(['ckpt-a']);
    expect(r.events.get('checkpoint.permission.created')).toBe(2);
    expect(r.polls).toEqual(['success', 'success', 'success', 'success', 'success']);
    r.follower.stop();
  });

  it("reads from the previous poll's start minus the overlap, so a late entry is still seen", async () => {
    const r = rig();
    r.follower.start();
    await vi.advanceTimersByTimeAsync(0);
    const changedAt = Date.now() + 1_000;
    // Happened a second after the first poll, readable only 50 s later (past the next poll).
    r.log.add(created('ckpt-b', 'cp_late', changedAt), changedAt + 50_000);
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(r.log.reads[1]).toBe((T0 - OVERLAP_MS) / 1000);
    expect(r.added).toEqual([]);
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(r.log.reads[2]).toBe((T0 + POLL_MS - OVERLAP_MS) / 1000);
    expect(r.added).toEqual(['ckpt-b']);
    r.follower.stop();
  });

  it("ignores the operator's own creates and deletes but not a person deleting what it created", async () => {
    const r = rig();
    r.own.created('cp_own');
    r.own.deleted('cp_recorded');
    r.follower.start();
    r.log.add(created('ckpt-a', 'cp_own', Date.now()));
    r.log.add(deleted('cp_recorded', Date.now()));
    await vi.advanceTimersByTimeAsync(0);
    expect(r.added).toEqual([]);
    expect(r.own.size).toBe(0);
    // Later a person deletes a recorded grant: news.
    r.log.add(deleted('cp_recorded', Date.now()));
    r.log.add(deleted('cp_never_recorded', Date.now()));
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(r.added).toEqual(['ckpt-a']);
    expect(r.lines.some((l) => l.msg?.toString().startsWith('audit log: permissions changed'))).toBe(true);
    r.follower.stop();
  });

  it('falls back to listing at once when the log is refused, and follows again when it is readable', async () => {
    const r = rig();
    r.log.failures.push(refusal());
    r.follower.start();
    expect(r.follower.following).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(r.follower.following).toBe(false);
    expect(r.modes.at(-1)).toEqual(['listing', 'refused']);
    expect(r.polls).toEqual(['refused']);
    // Every checkpoint is listed within RESYNC_INTERVAL.
    expect(r.delayed.map(([k]) => k).sort()).toEqual(['ckpt-a', 'ckpt-b']);
    for (const [, ms] of r.delayed) expect(ms).toBeLessThanOrEqual(LIST_MS);
    const warning = r.lines.find((l) => l.msg?.toString().startsWith('audit log not followed'));
    expect(warning).toMatchObject({ level: 'warn', reason: 'refused' });
    expect(String(warning?.error)).toContain('403');
    expect(r.follower.unready()).toEqual([]);
    // Retried slowly: nothing before RETRY_MS, then it follows from now minus the overlap.
    await vi.advanceTimersByTimeAsync(RETRY_MS - 1);
    expect(r.log.reads).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.log.reads).toHaveLength(2);
    expect(r.log.reads[1]).toBe((T0 + RETRY_MS - OVERLAP_MS) / 1000);
    expect(r.follower.following).toBe(true);
    expect(r.modes.at(-1)).toEqual(['audit_log', 'following']);
    r.follower.stop();
  });

  it('keeps following through a failed poll or two, then lists', async () => {
    const r = rig();
    r.follower.start();
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < FAILURES_BEFORE_FALLBACK; i++) r.log.failures.push(outage());
    await vi.advanceTimersByTimeAsync(POLL_MS * (FAILURES_BEFORE_FALLBACK - 1));
    expect(r.follower.following).toBe(true);
    expect(r.follower.lagSeconds()).toBe(((FAILURES_BEFORE_FALLBACK - 1) * POLL_MS) / 1000);
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(r.follower.following).toBe(false);
    expect(r.modes.at(-1)).toEqual(['listing', 'failing']);
    expect(r.polls.filter((p) => p === 'error')).toHaveLength(FAILURES_BEFORE_FALLBACK);
    r.follower.stop();
  });

  it('with AUDIT_LOG=on, a log it cannot follow makes the process unready and logs an error', async () => {
    const r = rig('on');
    r.log.failures.push(refusal());
    r.follower.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.follower.unready()).toEqual([
      expect.stringContaining('AUDIT_LOG=on but the audit log is not followed'),
    ]);
    expect(r.lines.find((l) => l.msg?.toString().startsWith('audit log not followed'))?.level).toBe('error');
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    expect(r.follower.unready()).toEqual([]);
    r.follower.stop();
  });

  it('puts polls off while passes wait in the queue, for at most MAX_DEFERRED_POLLS intervals', async () => {
    let busy = true;
    const r = rig('auto', () => busy);
    r.follower.start();
    await vi.advanceTimersByTimeAsync(POLL_MS * (MAX_DEFERRED_POLLS - 1));
    expect(r.log.reads).toEqual([]);
    await vi.advanceTimersByTimeAsync(POLL_MS);
    // Still busy, but a mass change must not blind the follower for longer: it reads everything since start.
    expect(r.log.reads).toEqual([(T0 - OVERLAP_MS) / 1000]);
    busy = false;
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(r.log.reads).toHaveLength(2);
    r.follower.stop();
  });

  it('warns when entries appear so late that the overlap is nearly used up', async () => {
    const r = rig();
    r.follower.start();
    await vi.advanceTimersByTimeAsync(0);
    const changedAt = Date.now();
    r.log.add(created('ckpt-a', 'cp_late', changedAt), changedAt + OVERLAP_MS * 0.75);
    await vi.advanceTimersByTimeAsync(POLL_MS * 2);
    expect(r.lines.some((l) => l.msg?.toString().startsWith('audit log entries appear late'))).toBe(false);
    expect(r.added).toEqual([]);
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(r.added).toEqual(['ckpt-a']);
    const warning = r.lines.find((l) => l.msg?.toString().startsWith('audit log entries appear late'));
    expect(warning).toMatchObject({ level: 'warn', overlapSeconds: OVERLAP_MS / 1000 });
    expect(Number(warning?.lateSeconds)).toBeGreaterThan(OVERLAP_MS / 2000);
    r.follower.stop();
  });

  it('keeps what an earlier page queued when a later page fails, and handles no entry twice', async () => {
    const own = new OwnChanges();
    const added: string[] = [];
    let calls = 0;
    const first = created('ckpt-a', 'cp_hand_a', T0);
    const second = created('ckpt-b', 'cp_hand_b', T0);
    const follower = new AuditFollower({
      api: {
        async *permissionEvents() {
          calls += 1;
          yield [first];
          if (calls === 1) throw outage();
          yield [second];
        },
      },
      setting: 'auto',
      pollIntervalMs: POLL_MS,
      listIntervalMs: LIST_MS,
      own,
      targets: { hasCheckpoint: () => true, checkpointsHolding: () => new Map(), checkpoints: () => [] },
      queue: { add: (k) => added.push(k), addAfter: () => undefined },
      logger: createLogger({ level: 'silent' }),
    });
    follower.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(added).toEqual(['ckpt-a']);
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(added).toEqual(['ckpt-a', 'ckpt-b']);
    follower.stop();
  });

  it('after a failed poll, reads again from where the last good read left off', async () => {
    const r = rig();
    r.follower.start();
    await vi.advanceTimersByTimeAsync(0);
    r.log.failures.push(outage());
    await vi.advanceTimersByTimeAsync(POLL_MS * 2);
    expect(r.log.reads).toEqual([
      (T0 - OVERLAP_MS) / 1000,
      (T0 - OVERLAP_MS) / 1000,
      (T0 - OVERLAP_MS) / 1000,
    ]);
    r.follower.stop();
  });

  it('waits out a rate-limit pause without falling back to listing', async () => {
    const r = rig();
    const paused = () =>
      new TransientError('OpenAI audit log read: not sent, OpenAI asked the organisation to wait 120s more', {
        operation: 'audit_log',
        checkpoint: 'the organization',
        retryAfterMs: 120_000,
      });
    for (let i = 0; i < FAILURES_BEFORE_FALLBACK + 1; i++) r.log.failures.push(paused());
    r.follower.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(120_000 - 1);
    expect(r.log.reads).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1 + 120_000 * FAILURES_BEFORE_FALLBACK);
    expect(r.follower.following).toBe(true);
    expect(r.delayed).toEqual([]);
    expect(r.modes.some(([mode]) => mode === 'listing')).toBe(false);
    r.follower.stop();
  });

  it('takes a malformed answer for a failure to retry, not for a refusal', async () => {
    const r = rig();
    const malformed = () =>
      new TerminalError('OpenAI audit log read: 200 unexpected response body: no data array', {
        operation: 'audit_log',
        checkpoint: 'the organization',
        status: 200,
        reason: 'BadResponse',
      });
    r.log.failures.push(malformed());
    r.follower.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.follower.following).toBe(true);
    expect(r.polls).toEqual(['error']);
    r.follower.stop();
  });

  it("forgets the operator's own ids while the log stays unreadable", async () => {
    const r = rig();
    for (let i = 0; i < 10; i++) r.log.failures.push(refusal());
    r.own.created('cp_own');
    r.follower.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.own.size).toBe(1);
    await vi.advanceTimersByTimeAsync(35 * 60_000);
    expect(r.own.size).toBe(0);
    r.follower.stop();
  });

  it('a poll still in flight when leadership ends and comes back does not start a second loop', async () => {
    let release: () => void = () => undefined;
    let reads = 0;
    const follower = new AuditFollower({
      api: {
        async *permissionEvents() {
          reads += 1;
          if (reads === 1) await new Promise<void>((resolve) => (release = resolve));
          yield [];
        },
      },
      setting: 'auto',
      pollIntervalMs: POLL_MS,
      listIntervalMs: LIST_MS,
      own: new OwnChanges(),
      targets: { hasCheckpoint: () => true, checkpointsHolding: () => new Map(), checkpoints: () => [] },
      queue: { add: () => undefined, addAfter: () => undefined },
      logger: createLogger({ level: 'silent' }),
    });
    follower.start();
    await vi.advanceTimersByTimeAsync(0);
    follower.stop();
    follower.start();
    release();
    await vi.advanceTimersByTimeAsync(POLL_MS * 3);
    // The new run's first read and one per interval after it; the stale read schedules nothing.
    expect(reads).toBe(1 + 1 + 3);
    follower.stop();
  });

  it('reads nothing once stopped (leadership lost)', async () => {
    const r = rig();
    r.follower.start();
    await vi.advanceTimersByTimeAsync(0);
    r.follower.stop();
    await vi.advanceTimersByTimeAsync(POLL_MS * 10);
    expect(r.log.reads).toHaveLength(1);
    expect(r.follower.lagSeconds()).toBeUndefined();
  });
});

describe('driftInterval', () => {
  it('lists every RESYNC_INTERVAL unless the log is followed, then spreads AUDIT_RESYNC_INTERVAL', () => {
    let following = false;
    const intervals = { listIntervalMs: 600_000, auditResyncIntervalMs: 6 * 3_600_000 };
    let random = 0;
    const next = driftInterval(
      intervals,
      () => following,
      () => random,
    );
    expect(next()).toBe(600_000);
    following = true;
    expect(next()).toBe(6 * 3_600_000);
    random = 0.999;
    expect(next()).toBeGreaterThanOrEqual(0.75 * 6 * 3_600_000);
    expect(next()).toBeLessThan(6 * 3_600_000);
  });
});

describe('observeOwnChanges', () => {
  it('notes the ids the operator creates and deletes', async () => {
    const own = new OwnChanges();
    const api: PermissionsApi = {
      list: async () => ({ exists: true, permissions: [] }),
      grant: async () => ({ granted: [{ id: 'cp_new', projectId: 'proj_a', createdAt: 1 }], failed: [] }),
      revoke: async () => undefined,
    };
    const observed = observeOwnChanges(api, own);
    await observed.grant('ckpt', ['proj_a']);
    await observed.revoke('ckpt', 'cp_old');
    expect(own.tookCreate('cp_new')).toBe(true);
    expect(own.tookDelete('cp_old')).toBe(true);
    expect(own.tookCreate('cp_old')).toBe(false);
    expect(own.tookDelete('cp_new')).toBe(false);
  });
});
