import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { FIELD_MANAGER } from '../api/constants.js';
import { type Config, ConfigError, loadConfig, SETTINGS, settingsHelp } from '../config.js';
import { Controller } from '../controller/controller.js';
import { HeapSettler } from '../controller/heap-settler.js';
import { ShareCache } from '../controller/share-cache.js';
import { ShareEvents } from '../controller/share-events.js';
import { type ScopeState, ShareInformer } from '../controller/share-informer.js';
import { TenancyWatch } from '../controller/tenancy-watch.js';
import { DEFAULT_BACKOFF, WorkQueue } from '../controller/work-queue.js';
import { AuditFollower } from '../drift/audit-follower.js';
import { driftInterval } from '../drift/drift-interval.js';
import { OwnChanges, observeOwnChanges } from '../drift/own-changes.js';
import { inCluster, loadKubeConfig, makeClients } from '../kube/client.js';
import { shareConnections } from '../kube/connection-pool.js';
import { KubeEventRecorder } from '../kube/events.js';
import { LeaderElector, NotLeaderError } from '../kube/leader-election.js';
import { KubePolicyWriter } from '../kube/policy-writer.js';
import { KubeShareWriter } from '../kube/share-writer.js';
import { type ProbeServer, startProbeServer } from '../observability/http-server.js';
import { createLogger } from '../observability/logger.js';
import { OperatorMetrics } from '../observability/metrics.js';
import { RateLimiter } from '../openai/rate-limiter.js';
import { SdkPermissionsApi } from '../openai/sdk-permissions.js';
import { CheckpointReconciler } from '../reconcile/reconcile-checkpoint.js';
import { PolicyReporter } from '../reconcile/report-policy.js';
import { operatorVersion } from '../version.js';

export const RUN_HELP = `Usage: checkpoint-share run [flags]

Runs the controller: watches CheckpointShares and keeps OpenAI checkpoint permissions in line.
Every flag mirrors an environment variable; a flag wins over its variable.

${settingsHelp()}`;

const LEASE_NAME = 'checkpoint-share-operator';
/** In-flight reconciles get this long to finish on SIGTERM before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 30_000;
/**
 * How long a replica that lost the lease lingers to finish passes (already fenced off) before it
 * exits: well inside the gap between the renew deadline and the lease duration, after which a
 * standby may take over (2 s of the default 5 s).
 */
function lostLeadershipGraceMs(config: Config): number {
  return (config.leaseDurationMs - config.renewDeadlineMs) * 0.4;
}

/** Slow recheck of checkpoints stalled on a terminal error (bad key, unknown checkpoint). */
function recheckMs(config: Config): number {
  return Math.max(config.resyncIntervalMs, 5 * 60_000);
}

/** A setting found unusable at start-up: one line naming it, exit status 2. */
function refuse(error: unknown): number {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`checkpoint-share run: ${error.message}\n`);
  return 2;
}

export async function run(argv: readonly string[]): Promise<number> {
  let config: Config;
  let kubeConfig: KubeConfig;
  try {
    config = loadConfig({
      argv,
      env: process.env,
      inCluster: inCluster(),
      inClusterNamespace: readServiceAccountNamespace(),
    });
    kubeConfig = loadKubeConfig(config.kubeconfig);
  } catch (error: unknown) {
    return refuse(error);
  }
  const logger = createLogger({ level: config.logLevel });
  const identity = `${hostname()}-${process.pid}`;
  shareConnections(kubeConfig);
  const clients = makeClients(kubeConfig);
  const metrics = new OperatorMetrics({ defaultMetrics: true });
  const openai = new SdkPermissionsApi({
    baseURL: config.openaiBaseUrl,
    adminKey: config.openaiAdminKey,
    rateLimiter: new RateLimiter({ requestsPerSecond: config.openaiMaxRps }),
    timeoutMs: config.openaiRequestTimeoutMs,
    logger,
    onRequest: (operation, code, seconds) => metrics.openaiRequest(operation, code, seconds),
  });
  const cache = new ShareCache();
  const queue = new WorkQueue(DEFAULT_BACKOFF, metrics.queue());
  // AUDIT_LOG: the leader reads the organisation's audit log for changes made by hand (README, Drift).
  const own = new OwnChanges();
  const follower: AuditFollower | undefined =
    config.auditLog === 'off'
      ? undefined
      : new AuditFollower({
          api: openai,
          setting: config.auditLog,
          pollIntervalMs: config.auditLogPollIntervalMs,
          listIntervalMs: config.resyncIntervalMs,
          own,
          targets: cache,
          queue,
          busy: () => queue.length >= config.maxConcurrentReconciles,
          logger,
          metrics: metrics.follower(() => follower?.lagSeconds()),
        });
  if (!follower) metrics.setDriftDetection('listing', 'disabled');
  const permissions = follower ? observeOwnChanges(openai, own) : openai;
  const writer = new KubeShareWriter(clients.customObjects, FIELD_MANAGER);
  const events = new KubeEventRecorder(clients.core, identity, (error) =>
    logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'could not record event'),
  );
  const now = () => new Date();
  // Every write to Kubernetes or OpenAI passes here first.
  const fence = () => {
    if (elector && !elector.holds())
      throw new NotLeaderError('this replica cannot be sure it still holds the lease');
  };
  // SHARE_POLICY=enforce: the policies and namespace labels bound every share (README, Tenancy).
  const policyReporter = new PolicyReporter({
    writer: new KubePolicyWriter(clients.customObjects, FIELD_MANAGER),
    now,
    fence,
    logger,
  });
  const tenancy: TenancyWatch | undefined =
    config.sharePolicy === 'enforce'
      ? new TenancyWatch({
          kubeConfig,
          customObjects: clients.customObjects,
          core: clients.core,
          shares: cache,
          queue,
          active: (): boolean => controller.active,
          reportPolicy: (policy, compiled) => policyReporter.report(policy, compiled),
          logger,
        })
      : undefined;
  const reconciler = new CheckpointReconciler({
    shares: cache,
    writer,
    permissions,
    events,
    driftIntervalMs: driftInterval(
      { listIntervalMs: config.resyncIntervalMs, auditResyncIntervalMs: config.auditResyncIntervalMs },
      () => follower?.following ?? false,
    ),
    minIntervalMs: config.minResyncIntervalMs,
    failedRecheckMs: recheckMs(config),
    now,
    fence,
    logger,
    onPermissionsChanged: (granted, revoked) => metrics.permissionsChanged(granted, revoked),
    partialView: (): boolean => !informer.synced,
    ...(tenancy ? { tenancy } : {}),
  });
  const settler = new HeapSettler({
    collect: globalThis.gc,
    quiet: () => queue.length === 0 && queue.inFlight === 0,
    logger,
  });
  const controller = new Controller({
    queue,
    reconciler,
    keys: () => cache.checkpoints(),
    logger,
    metrics: {
      reconciled: (result, seconds) => {
        metrics.reconciled(result, seconds);
        settler.passDone();
      },
    },
    workers: config.maxConcurrentReconciles,
    recheckMs: recheckMs(config),
    keyField: 'checkpoint',
  });
  const countScopes = (scopes: readonly ScopeState[]) => {
    const synced = scopes.filter((s) => s.synced).length;
    metrics.setWatchScopes(synced, scopes.length - synced);
  };
  const informer = new ShareInformer(
    kubeConfig,
    clients.customObjects,
    new ShareEvents(cache, queue, () => controller.active),
    {
      namespaces: config.watchNamespaces,
      logger,
      onScopesChanged: countScopes,
    },
  );
  countScopes(informer.scopes);
  let probes: ProbeServer;
  try {
    probes = await startProbeServer(config.httpPort, metrics.registry, {
      unready: () => [
        ...informer.scopes.filter((s) => !s.synced).map(notSyncedLine),
        ...(tenancy?.unready() ?? []),
        ...(follower?.unready() ?? []),
      ],
    });
  } catch (error: unknown) {
    return refuse(portProblem(error, config.httpPort) ?? error);
  }
  const elector = config.leaderElection
    ? new LeaderElector({
        api: kubeConfig.makeApiClient(CoordinationV1Api),
        namespace: config.podNamespace,
        name: LEASE_NAME,
        identity,
        logger,
        leaseDurationMs: config.leaseDurationMs,
        renewDeadlineMs: config.renewDeadlineMs,
        retryPeriodMs: config.retryPeriodMs,
      })
    : undefined;

  logger.info(
    {
      version: operatorVersion(),
      identity,
      namespaces: config.watchNamespaces.length > 0 ? config.watchNamespaces : 'all',
      openaiBaseUrl: config.openaiBaseUrl,
      leaderElection: config.leaderElection,
      httpPort: probes.port,
      workers: config.maxConcurrentReconciles,
      resyncIntervalMs: config.resyncIntervalMs,
      sharePolicy: config.sharePolicy,
      auditLog: config.auditLog,
      auditLogPollIntervalMs: config.auditLogPollIntervalMs,
      auditResyncIntervalMs: config.auditResyncIntervalMs,
      openaiRequestTimeoutMs: config.openaiRequestTimeoutMs,
    },
    'starting checkpoint-share operator',
  );

  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = async (signal: string, code: number, graceMs = SHUTDOWN_GRACE_MS) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: finishing reconciles in flight');
      follower?.stop();
      settler.stop();
      const drained = await controller.stop(graceMs);
      informer.stop();
      tenancy?.stop();
      // A pass still running past the grace period must not overlap with a new leader: then the
      // lease is left to expire instead of being handed over at once.
      if (drained) await elector?.release();
      else elector?.stop();
      metrics.setLeader(false);
      await probes.close();
      logger.info({ drained }, 'stopped');
      resolve(code);
    };
    process.once('SIGTERM', () => void shutdown('SIGTERM', 0));
    process.once('SIGINT', () => void shutdown('SIGINT', 0));

    void (async () => {
      // Every scope has been listed or has failed once. A scope the operator may not read (RBAC
      // missing in one namespace) must not stop the others: it keeps retrying, /readyz names it,
      // and its shares are queued by ShareEvents.upsert whenever its list succeeds.
      await informer.start();
      const unsynced = informer.scopes.filter((s) => !s.synced);
      if (unsynced.length === 0) logger.info({ objects: cache.size }, 'cache synced');
      else
        logger.warn(
          { objects: cache.size, unsynced: unsynced.map((s) => s.scope) },
          'starting while some scopes are not synced; their shares are reconciled once they are',
        );
      // Under enforce nothing is decided before every policy and namespace is known: with none
      // known yet, every share would look refused and its grants revocable.
      if (tenancy) {
        await tenancy.start();
        logger.info({}, 'tenancy policies and namespaces synced');
      }
      if (elector) {
        const leading = await elector.acquire((reason) => {
          // Another replica may take over once the lease expires: stop acting now, and exit
          // non-zero so the pod restarts as a clean standby.
          queue.shutdown();
          follower?.stop();
          metrics.setLeader(false);
          logger.error({ reason }, 'leadership lost; exiting');
          void shutdown('leadership-lost', 1, lostLeadershipGraceMs(config));
        });
        if (!leading) return;
      }
      metrics.setLeader(true);
      controller.start();
      follower?.start();
      tenancy?.reportAll();
    })().catch((error: unknown) => {
      logger.fatal({ error: error instanceof Error ? error.message : String(error) }, 'operator failed');
      void shutdown('fatal', 1);
    });
  });
}

/** A port that cannot be bound is a setting to change, not a crash. */
function portProblem(error: unknown, port: number): ConfigError | undefined {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  const setting = `${SETTINGS.httpPort.env} (--${SETTINGS.httpPort.flag})`;
  if (code === 'EADDRINUSE') return new ConfigError(`${setting}: port ${port} is already in use`);
  if (code === 'EACCES') return new ConfigError(`${setting}: no permission to listen on port ${port}`);
  return undefined;
}

function notSyncedLine(scope: ScopeState): string {
  const where = scope.scope === '*' ? 'all namespaces' : `namespace ${scope.scope}`;
  return `${where} not synced: ${scope.problem ?? 'first list in progress'}`;
}

function readServiceAccountNamespace(): string | undefined {
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim();
  } catch {
    return undefined;
  }
}
