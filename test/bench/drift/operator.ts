import { Controller } from '../../../src/controller/controller.js';
import { ShareCache } from '../../../src/controller/share-cache.js';
import { ShareEvents } from '../../../src/controller/share-events.js';
import { DEFAULT_BACKOFF, WorkQueue } from '../../../src/controller/work-queue.js';
import { AuditFollower } from '../../../src/drift/audit-follower.js';
import { driftInterval } from '../../../src/drift/drift-interval.js';
import { OwnChanges, observeOwnChanges } from '../../../src/drift/own-changes.js';
import { createLogger } from '../../../src/observability/logger.js';
import { RateLimiter } from '../../../src/openai/rate-limiter.js';
import { CheckpointReconciler } from '../../../src/reconcile/reconcile-checkpoint.js';
import type { KubeStore } from './kube-store.js';
import { fakeClock, OpenAIModel } from './openai-api.js';
import type { Organisation } from './organisation.js';

/** The settings of src/config.ts that matter here, at their defaults unless a run says otherwise. */
export interface DriftSettings {
  /** AUDIT_LOG: 'auto' follows the log, 'off' finds drift by listing. */
  auditLog: 'auto' | 'off';
  /** RESYNC_INTERVAL */
  resyncIntervalMs: number;
  /** AUDIT_LOG_POLL_INTERVAL */
  auditLogPollIntervalMs: number;
  /** AUDIT_RESYNC_INTERVAL */
  auditResyncIntervalMs: number;
  /** OPENAI_MAX_RPS */
  openaiMaxRps: number;
  /** MAX_CONCURRENT_RECONCILES */
  workers: number;
  /** MIN_RESYNC_INTERVAL */
  minResyncIntervalMs: number;
}

export const DEFAULT_SETTINGS: Omit<DriftSettings, 'auditLog'> = {
  resyncIntervalMs: 10 * 60_000,
  auditLogPollIntervalMs: 30_000,
  auditResyncIntervalMs: 6 * 3_600_000,
  openaiMaxRps: 5,
  workers: 4,
  minResyncIntervalMs: 30_000,
};

export interface BenchOperator {
  queue: WorkQueue;
  api: OpenAIModel;
  follower: AuditFollower | undefined;
  /** The drift-check period a pass would schedule now (src/drift/drift-interval.ts). */
  driftIntervalMs: () => number;
  /** Warnings and errors the operator logged, by message. */
  problems: Map<string, number>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * The operator's pieces put together as src/cli/run.ts puts them (leader, cache synced, no
 * share policy), around an in-memory organisation and Kubernetes store: the real work queue,
 * controller, reconciler, share cache and watch handler, rate limiter, audit-log follower, own
 * changes and drift interval. Only the HTTP clients are replaced.
 */
export function assembleOperator(
  settings: DriftSettings,
  organisation: Organisation,
  kube: KubeStore,
  options: { latencyMs: number; random: () => number },
): BenchOperator {
  const problems = new Map<string, number>();
  const logger = createLogger(
    { level: 'warn' },
    {
      write: (line: string) => {
        const { msg } = JSON.parse(line) as { msg: string };
        problems.set(msg, (problems.get(msg) ?? 0) + 1);
      },
    },
  );
  const api = new OpenAIModel(
    organisation,
    new RateLimiter({ requestsPerSecond: settings.openaiMaxRps, clock: fakeClock }),
    options.latencyMs,
  );
  const cache = new ShareCache();
  const queue = new WorkQueue(DEFAULT_BACKOFF);
  const own = new OwnChanges();
  const follower: AuditFollower | undefined =
    settings.auditLog === 'off'
      ? undefined
      : new AuditFollower({
          api,
          setting: settings.auditLog,
          pollIntervalMs: settings.auditLogPollIntervalMs,
          listIntervalMs: settings.resyncIntervalMs,
          own,
          targets: cache,
          queue,
          busy: () => queue.length >= settings.workers,
          logger,
          random: options.random,
        });
  const permissions = follower ? observeOwnChanges(api, own) : api;
  const driftIntervalMs = driftInterval(
    { listIntervalMs: settings.resyncIntervalMs, auditResyncIntervalMs: settings.auditResyncIntervalMs },
    () => follower?.following ?? false,
    options.random,
  );
  const reconciler = new CheckpointReconciler({
    shares: cache,
    writer: kube.writer,
    permissions,
    events: { record: async () => undefined },
    driftIntervalMs,
    minIntervalMs: settings.minResyncIntervalMs,
    failedRecheckMs: Math.max(settings.resyncIntervalMs, 5 * 60_000),
    now: () => new Date(),
    logger,
    partialView: () => false,
  });
  const controller = new Controller({
    queue,
    reconciler,
    keys: () => cache.checkpoints(),
    logger,
    metrics: undefined,
    workers: settings.workers,
    recheckMs: Math.max(settings.resyncIntervalMs, 5 * 60_000),
    keyField: 'checkpoint',
  });
  const watch = new ShareEvents(cache, queue, () => controller.active);
  // The informer's first list, then its watch.
  for (const share of kube.list()) watch.upsert(share);
  kube.watch(watch);
  return {
    queue,
    api,
    follower,
    driftIntervalMs,
    problems,
    start() {
      controller.start();
      follower?.start();
    },
    async stop() {
      follower?.stop();
      await controller.stop(30_000);
    },
  };
}
