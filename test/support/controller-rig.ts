import type { CheckpointShare } from '../../src/api/types.js';
import { Controller } from '../../src/controller/controller.js';
import { ShareCache } from '../../src/controller/share-cache.js';
import { DEFAULT_BACKOFF, WorkQueue } from '../../src/controller/work-queue.js';
import type { EventRecorder } from '../../src/kube/events.js';
import type { ShareWriter } from '../../src/kube/share-writer.js';
import { createLogger } from '../../src/observability/logger.js';
import type { PermissionsApi } from '../../src/openai/permissions.js';
import { CheckpointReconciler } from '../../src/reconcile/reconcile-checkpoint.js';

export interface ControllerRigOptions {
  shares: CheckpointShare[];
  permissions: PermissionsApi;
  /** Default: every write succeeds and returns the object as written. */
  writer?: ShareWriter;
  /** Default: events go nowhere. */
  events?: EventRecorder;
  fence?: () => void;
  queue?: WorkQueue;
  passTimeoutMs?: number;
  now?: () => Date;
}

/**
 * The real controller loop around the real reconciler, one worker, with fakes for OpenAI and the
 * Kubernetes writes, and the JSON log lines captured: for tests of what the loop does with a pass.
 */
export function controllerRig(options: ControllerRigOptions) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const cache = new ShareCache();
  for (const share of options.shares) cache.upsert(share);
  const writer: ShareWriter = options.writer ?? {
    get: async () => undefined,
    addFinalizer: async (s) => s,
    removeFinalizer: async () => undefined,
    writeStatus: async (s, status) => ({ ...s, status }),
  };
  const reconciler = new CheckpointReconciler({
    shares: cache,
    writer,
    permissions: options.permissions,
    events: options.events ?? { record: async () => undefined },
    driftIntervalMs: () => 60_000,
    minIntervalMs: 30_000,
    failedRecheckMs: 600_000,
    now: options.now ?? (() => new Date()),
    logger,
    ...(options.fence === undefined ? {} : { fence: options.fence }),
  });
  const controller = new Controller({
    queue: options.queue ?? new WorkQueue(DEFAULT_BACKOFF),
    reconciler,
    keys: () => cache.checkpoints(),
    logger,
    metrics: undefined,
    workers: 1,
    recheckMs: 600_000,
    keyField: 'checkpoint',
    ...(options.passTimeoutMs === undefined ? {} : { passTimeoutMs: options.passTimeoutMs }),
  });
  return { controller, cache, lines };
}
