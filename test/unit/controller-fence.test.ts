import { describe, expect, it } from 'vitest';
import type { CheckpointShare, CheckpointShareStatus } from '../../src/api/types.js';
import { Controller } from '../../src/controller/controller.js';
import { ShareCache } from '../../src/controller/share-cache.js';
import { DEFAULT_BACKOFF, WorkQueue } from '../../src/controller/work-queue.js';
import type { EventRecorder } from '../../src/kube/events.js';
import type { ShareWriter } from '../../src/kube/share-writer.js';
import { createLogger } from '../../src/observability/logger.js';
import { TerminalError } from '../../src/openai/errors.js';
import type { PermissionsApi } from '../../src/openai/permissions.js';
import { CheckpointReconciler } from '../../src/reconcile/reconcile-checkpoint.js';
import { K, share } from '../support/builders.js';
import { waitFor } from '../support/wait.js';

/**
 * A controller whose every pass fails on a bad admin key, so it reports the failure (Stalled
 * condition and an Unauthorized event) through the given fence.
 */
function failingController(fence: () => void) {
  const writes: string[] = [];
  const lines: { msg?: string }[] = [];
  const unauthorized = () =>
    Promise.reject(
      new TerminalError('OpenAI list on checkpoint: 401 bad key', {
        operation: 'list',
        checkpoint: K,
        reason: 'Unauthorized',
      }),
    );
  const permissions: PermissionsApi = { list: unauthorized, grant: unauthorized, revoke: unauthorized };
  const writer: ShareWriter = {
    get: async () => undefined,
    addFinalizer: async (s) => {
      writes.push(`finalizer+ ${s.metadata.name}`);
      return s;
    },
    removeFinalizer: async (s) => {
      writes.push(`finalizer- ${s.metadata.name}`);
      return undefined;
    },
    writeStatus: async (s: CheckpointShare, status: CheckpointShareStatus) => {
      writes.push(`status ${s.metadata.name}`);
      return { ...s, status };
    },
  };
  const events: EventRecorder = { record: async (_s, reason) => void writes.push(`event ${reason}`) };
  const cache = new ShareCache();
  const logger = createLogger(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  const now = () => new Date('2026-12-01T09:00:00Z');
  const reconciler = new CheckpointReconciler({
    shares: cache,
    writer,
    permissions,
    events,
    defaultIntervalMs: 60_000,
    minIntervalMs: 30_000,
    failedRecheckMs: 600_000,
    now,
    fence,
    logger,
  });
  const controller = new Controller({
    queue: new WorkQueue(DEFAULT_BACKOFF),
    reconciler,
    keys: () => cache.checkpoints(),
    logger,
    metrics: undefined,
    workers: 1,
    recheckMs: 600_000,
    keyField: 'checkpoint',
  });
  cache.upsert(share('a').projects('proj_a').build());
  return { controller, writes, lines };
}

describe('Controller reporting a failed pass', () => {
  it('writes the Stalled status and the event while it holds the lease', async () => {
    const { controller, writes, lines } = failingController(() => undefined);
    controller.start();
    await waitFor('the pass to fail', () => lines.some((l) => l.msg === 'reconcile failed'));
    // stop() waits for the pass in flight, report included.
    expect(await controller.stop(4_000)).toBe(true);
    expect(writes).toEqual(['status a', 'event Unauthorized']);
  });

  it('writes neither status nor event once the leadership fence says no', async () => {
    const { controller, writes, lines } = failingController(() => {
      throw new Error('this replica cannot be sure it still holds the lease');
    });
    controller.start();
    await waitFor('the pass to fail', () => lines.some((l) => l.msg === 'reconcile failed'));
    expect(await controller.stop(4_000)).toBe(true);
    expect(writes).toEqual([]);
    expect(lines.map((l) => l.msg)).toContain('could not report failure');
  });
});
