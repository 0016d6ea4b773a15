import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export const CONTROLLER_NAME = 'checkpointshare';

/**
 * How often nodejs_eventloop_lag_* samples the event loop. prom-client's default, 10 ms, wakes
 * the process 100 times a second: most of an idle operator's CPU (0.5 of 0.8 s a minute in the
 * scale benchmark). Stalls worth alerting on last longer than this.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

export type ReconcileResult = 'success' | 'error' | 'requeue_after';

/** What the work queue reports, as controller-runtime's workqueue metrics. */
export interface QueueMetrics {
  add(): void;
  retry(): void;
  depth(n: number): void;
  /** Seconds a key waited in the queue before a worker took it. */
  queued(seconds: number): void;
  /** Seconds a worker held the key. */
  worked(seconds: number): void;
}

/** How drift is found: by following the audit log, or by listing every checkpoint; and why. */
export type DriftMode = 'audit_log' | 'listing';
export type DriftReason = 'starting' | 'following' | 'disabled' | 'refused' | 'failing';
export type AuditPollResult = 'success' | 'refused' | 'error';

/** What the audit-log follower reports. */
export interface FollowerMetrics {
  events(type: string, count: number): void;
  poll(result: AuditPollResult): void;
  mode(mode: DriftMode, reason: DriftReason): void;
}

/** The operator's metrics, named as controller-runtime names them so existing dashboards work. */
export class OperatorMetrics {
  readonly registry = new Registry();
  private readonly reconcileTotal: Counter<'controller' | 'result'>;
  private readonly reconcileErrors: Counter<'controller'>;
  private readonly reconcileTime: Histogram<'controller'>;
  private readonly queueDepth: Gauge<'name'>;
  private readonly queueAdds: Counter<'name'>;
  private readonly queueRetries: Counter<'name'>;
  private readonly queueDuration: Histogram<'name'>;
  private readonly workDuration: Histogram<'name'>;
  private readonly openaiRequests: Counter<'operation' | 'code'>;
  private readonly openaiDuration: Histogram<'operation'>;
  private readonly granted: Counter;
  private readonly revoked: Counter;
  private readonly leader: Gauge;
  private readonly watchScopes: Gauge<'state'>;
  private readonly auditEvents: Counter<'type'>;
  private readonly auditPolls: Counter<'result'>;
  private readonly driftDetection: Gauge<'mode' | 'reason'>;
  /** Seconds the follower's reading is behind now; undefined while it does not follow. */
  private auditLagSeconds: () => number | undefined = () => undefined;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    this.reconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    });
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets,
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue',
      labelNames: ['name'],
      registers,
    });
    this.queueAdds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames: ['name'],
      registers,
    });
    this.queueRetries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames: ['name'],
      registers,
    });
    this.queueDuration = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: ['name'],
      buckets,
      registers,
    });
    this.workDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes',
      labelNames: ['name'],
      buckets,
      registers,
    });
    this.openaiRequests = new Counter({
      name: 'checkpointshare_openai_requests_total',
      help: 'HTTP requests to the OpenAI admin API by operation and status code',
      labelNames: ['operation', 'code'],
      registers,
    });
    this.openaiDuration = new Histogram({
      name: 'checkpointshare_openai_request_duration_seconds',
      help: 'Duration of OpenAI admin API requests',
      labelNames: ['operation'],
      buckets,
      registers,
    });
    this.granted = new Counter({
      name: 'checkpointshare_permissions_granted_total',
      help: 'Checkpoint permissions created by the operator',
      registers,
    });
    this.revoked = new Counter({
      name: 'checkpointshare_permissions_revoked_total',
      help: 'Checkpoint permissions deleted by the operator',
      registers,
    });
    this.leader = new Gauge({
      name: 'leader_election_master_status',
      help: 'Whether this replica is the leader (1) or not (0)',
      labelNames: ['name'],
      registers,
    });
    this.watchScopes = new Gauge({
      name: 'checkpointshare_watch_scopes',
      help: 'Watched scopes (namespaces, or the whole cluster) whose first list has succeeded (synced) or not yet (unsynced)',
      labelNames: ['state'],
      registers,
    });
    this.auditEvents = new Counter({
      name: 'checkpointshare_audit_log_events_total',
      help: 'Checkpoint permission events read from the audit log (each once), by type',
      labelNames: ['type'],
      registers,
    });
    this.auditPolls = new Counter({
      name: 'checkpointshare_audit_log_polls_total',
      help: 'Audit log polls by result: success, refused (audit logging off or the key may not read it), error',
      labelNames: ['result'],
      registers,
    });
    const lag = () => this.auditLagSeconds();
    // Read at scrape time: the lag grows between polls, and most of all when they fail.
    new Gauge({
      name: 'checkpointshare_audit_log_lag_seconds',
      help: 'Seconds since the moment up to which the leader has read the audit log (since it started following, before its first read; 0 when not following)',
      registers,
      collect() {
        this.set(lag() ?? 0);
      },
    });
    this.driftDetection = new Gauge({
      name: 'checkpointshare_drift_detection',
      help: 'How drift is found (1 on the current mode and reason): audit_log (following the audit log) or listing (every checkpoint every RESYNC_INTERVAL), and why',
      labelNames: ['mode', 'reason'],
      registers,
    });
    for (const type of ['checkpoint.permission.created', 'checkpoint.permission.deleted']) {
      this.auditEvents.inc({ type }, 0);
    }
    for (const result of ['success', 'refused', 'error']) this.auditPolls.inc({ result }, 0);
    this.watchScopes.set({ state: 'synced' }, 0);
    this.watchScopes.set({ state: 'unsynced' }, 0);
    for (const labels of [
      { controller: CONTROLLER_NAME, result: 'success' },
      { controller: CONTROLLER_NAME, result: 'error' },
      { controller: CONTROLLER_NAME, result: 'requeue_after' },
    ]) {
      this.reconcileTotal.inc(labels, 0);
    }
    this.reconcileErrors.inc({ controller: CONTROLLER_NAME }, 0);
    this.reconcileTime.zero({ controller: CONTROLLER_NAME });
    // As controller-runtime does when it creates the queue: every series exists from startup, so
    // rate() and alerts on them see 0 rather than no data.
    const queue = { name: CONTROLLER_NAME };
    this.queueDepth.set(queue, 0);
    this.queueAdds.inc(queue, 0);
    this.queueRetries.inc(queue, 0);
    this.queueDuration.zero(queue);
    this.workDuration.zero(queue);
    if (options.defaultMetrics)
      collectDefaultMetrics({
        register: this.registry,
        eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
      });
  }

  reconciled(result: ReconcileResult, seconds: number): void {
    this.reconcileTotal.inc({ controller: CONTROLLER_NAME, result });
    if (result === 'error') this.reconcileErrors.inc({ controller: CONTROLLER_NAME });
    this.reconcileTime.observe({ controller: CONTROLLER_NAME }, seconds);
  }

  openaiRequest(operation: string, code: string, seconds: number): void {
    this.openaiRequests.inc({ operation, code });
    this.openaiDuration.observe({ operation }, seconds);
  }

  permissionsChanged(granted: number, revoked: number): void {
    if (granted > 0) this.granted.inc(granted);
    if (revoked > 0) this.revoked.inc(revoked);
  }

  setLeader(isLeader: boolean): void {
    this.leader.set({ name: CONTROLLER_NAME }, isLeader ? 1 : 0);
  }

  setWatchScopes(synced: number, unsynced: number): void {
    this.watchScopes.set({ state: 'synced' }, synced);
    this.watchScopes.set({ state: 'unsynced' }, unsynced);
  }

  /** The follower's hooks; `lagSeconds` is read at every scrape. */
  follower(lagSeconds: () => number | undefined): FollowerMetrics {
    this.auditLagSeconds = lagSeconds;
    return {
      events: (type, count) => this.auditEvents.inc({ type }, count),
      poll: (result) => this.auditPolls.inc({ result }),
      mode: (mode, reason) => this.setDriftDetection(mode, reason),
    };
  }

  setDriftDetection(mode: DriftMode, reason: DriftReason): void {
    this.driftDetection.reset();
    this.driftDetection.set({ mode, reason }, 1);
  }

  queue(): QueueMetrics {
    const name = { name: CONTROLLER_NAME };
    return {
      add: () => this.queueAdds.inc(name),
      retry: () => this.queueRetries.inc(name),
      depth: (n) => this.queueDepth.set(name, n),
      queued: (s) => this.queueDuration.observe(name, s),
      worked: (s) => this.workDuration.observe(name, s),
    };
  }
}
