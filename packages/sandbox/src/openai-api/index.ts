import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { AuditLog, type AuditLogSettings, newKeyTrackingId } from './audit-log.js';
import { FaultInjector, type FaultSpec } from './faults.js';
import type { Operation } from './operation.js';
import { RequestLog, type RequestRecord } from './request-log.js';
import { createStandInServer, InFlight } from './server.js';
import { type CheckpointRecord, PermissionStore } from './store.js';

export type {
  AuditActor,
  AuditEvent,
  AuditEventType,
  AuditLogCounts,
  AuditLogOptions,
  AuditLogSettings,
} from './audit-log.js';
export {
  ADMIN_KEY_OWNER,
  AUDIT_EVENT_TYPES,
  AuditLog,
  apiKeyActor,
  DEFAULT_RETENTION,
  HAND_ACTOR,
} from './audit-log.js';
export type { WireAuditEvent, WireAuditPage } from './audit-log-api.js';
export { AUDIT_LOG_DEFAULT_LIMIT, AUDIT_LOG_DISABLED_MESSAGE, AUDIT_LOGS_PATH } from './audit-log-api.js';
export type { FaultKind, FaultSpec, PendingFault } from './faults.js';
export { FAULT_KINDS, FaultInjector, OPERATIONS } from './faults.js';
export type { Operation, PermissionOperation } from './operation.js';
export type { WirePage, WirePermission } from './pages.js';
export type { OperationCounts, RequestRecord } from './request-log.js';
export type { CheckpointRecord, StoredPermission } from './store.js';
export { PermissionStore } from './store.js';

/** Loopback only: the stand-in holds a key and has an unauthenticated control endpoint. */
export type StandInHost = '127.0.0.1' | 'localhost' | '::1';

export interface OpenAIStandInOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: StandInHost;
  /** The one key accepted; default `sk-admin-sandbox-` followed by random characters. */
  adminKey?: string;
  /** Checkpoints that exist, each with the project that owns it. */
  checkpoints?: readonly CheckpointRecord[];
  /** Known projects; when given, create refuses any other project id with a 400. */
  projects?: readonly string[];
  /** Faults queued from the start. */
  faults?: readonly FaultSpec[];
  /** Clock in ms since the epoch, for `created_at`, audit log times and the request log; default Date.now. */
  now?: () => number;
  /**
   * The organisation's audit log: on by default, no lag, the newest 200,000 events kept. Off, GET
   * /v1/organization/audit_logs answers 403 and changes go unrecorded; with lagMs, an event is
   * listed only that long after its change (its effective_at stays the time of the change).
   */
  auditLog?: Partial<AuditLogSettings>;
  /** The admin key's tracking id (`key_...`) the audit log names as actor; default generated. */
  adminKeyId?: string;
}

export interface OpenAIStandIn {
  /** For the SDK or OPENAI_BASE_URL: `http://127.0.0.1:PORT/v1`. */
  readonly baseURL: string;
  /** `http://127.0.0.1:PORT`; the control endpoint is under `/_sandbox/`. */
  readonly origin: string;
  readonly port: number;
  readonly adminKey: string;
  /** The admin key's tracking id: the audit log's actor (`api_key.id`) of every change made with the key. */
  readonly adminKeyId: string;
  /** Direct access to checkpoints and permissions, bypassing HTTP (e.g. to simulate drift). */
  readonly store: PermissionStore;
  /**
   * The audit log (also `store.auditLog`): `auditLog.configure({ lagMs: 5000 })`,
   * `auditLog.configure({ enabled: false })`, `auditLog.events()`, `auditLog.counts()`.
   */
  readonly auditLog: AuditLog;
  /** Queue faults for the next requests: `faults.inject({kind: 'rate-limit', retryAfterSeconds: 30})`. */
  readonly faults: FaultInjector;
  /** Every admin API request so far, in arrival order. */
  requests(): RequestRecord[];
  /** How many list, grant (create), revoke (delete) and audit_log requests arrived, faulted or not. */
  counts(): Record<Operation, number>;
  /** Empties the request log and the counters. */
  clearRequests(): void;
  /** Resolves once no admin API request is being served (e.g. one held by a latency fault). */
  idle(): Promise<void>;
  /** Stops listening, drops open connections and abandons held requests. */
  close(): Promise<void>;
}

const LOOPBACK: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '::1']);

function generateAdminKey(): string {
  return `sk-admin-sandbox-${randomBytes(18).toString('base64url')}`;
}

/**
 * Starts a local stand-in for OpenAI's admin API for fine-tuned checkpoint permissions
 * (list, create, delete under `/v1/fine_tuning/checkpoints/{checkpoint}/permissions`) and the
 * organisation audit log's record of them (`GET /v1/organization/audit_logs`), following
 * the contract in docs/design.md strictly: admin-key auth, cursor pages, atomic 400s on create, a
 * second permission for a project granted twice, `x-request-id` on every answer.
 *
 * Faults can be queued through `faults`, the `faults` option or `POST /_sandbox/faults`; see
 * ./control.ts for the control endpoint. The server listens on the loopback interface only.
 *
 * @example
 * const openai = await startOpenAIStandIn({ checkpoints: [{ id: 'ft:gpt-4o-mini:acme:w:abc', owner: 'proj_owner' }] });
 * // OPENAI_BASE_URL=openai.baseURL OPENAI_ADMIN_KEY=openai.adminKey
 * await openai.close();
 */
export async function startOpenAIStandIn(options: OpenAIStandInOptions = {}): Promise<OpenAIStandIn> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) throw new Error(`the OpenAI stand-in listens on loopback only, not ${host}`);
  const adminKey = options.adminKey ?? generateAdminKey();
  if (!adminKey.startsWith('sk-admin-')) throw new Error('the stand-in admin key must start with sk-admin-');
  const now = options.now ?? Date.now;

  const auditLog = new AuditLog({ ...options.auditLog, now });
  const store = new PermissionStore(
    options.projects ? { now, projects: options.projects, auditLog } : { now, auditLog },
  );
  const adminKeyId = options.adminKeyId ?? newKeyTrackingId();
  for (const checkpoint of options.checkpoints ?? []) store.addCheckpoint(checkpoint.id, checkpoint.owner);
  const faults = new FaultInjector();
  faults.inject(...(options.faults ?? []));
  const log = new RequestLog();
  const inFlight = new InFlight();
  const closing = new AbortController();

  const server = createStandInServer({
    store,
    faults,
    log,
    adminKey,
    adminKeyId,
    now,
    closing: closing.signal,
    inFlight,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host === '::1' ? '[::1]' : host}:${port}`;

  return {
    baseURL: `${origin}/v1`,
    origin,
    port,
    adminKey,
    adminKeyId,
    store,
    auditLog,
    faults,
    requests: () => log.records(),
    counts: () => log.counts(),
    clearRequests: () => log.clear(),
    idle: () => inFlight.idle(),
    close: async () => {
      closing.abort(new Error('stand-in closed'));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
