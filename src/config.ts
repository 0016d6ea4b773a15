import { parseArgs } from 'node:util';
import { formatDuration, parseDuration } from './api/duration.js';
import { redactSecrets } from './observability/logger.js';

export interface Config {
  readonly openaiAdminKey: string;
  readonly openaiBaseUrl: string;
  /** Empty: every namespace. */
  readonly watchNamespaces: readonly string[];
  readonly maxConcurrentReconciles: number;
  readonly resyncIntervalMs: number;
  /** No checkpoint is listed more often than this, whatever its spec.interval says. */
  readonly minResyncIntervalMs: number;
  readonly openaiMaxRps: number;
  readonly openaiRequestTimeoutMs: number;
  readonly leaderElection: boolean;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly podNamespace: string;
  readonly httpPort: number;
  readonly logLevel: string;
  readonly kubeconfig: string | undefined;
  /** enforce: every share is bounded by the CheckpointSharePolicies; open: policies are ignored. */
  readonly sharePolicy: SharePolicy;
  /** auto: follow the audit log, list when it cannot be read; on: the same, and unready then; off: list. */
  readonly auditLog: AuditLogSetting;
  readonly auditLogPollIntervalMs: number;
  /** The full-list period while the audit log is followed (spec.interval still wins when shorter). */
  readonly auditResyncIntervalMs: number;
}

export const AUDIT_LOG_SETTINGS = ['auto', 'on', 'off'] as const;
export type AuditLogSetting = (typeof AUDIT_LOG_SETTINGS)[number];

export const SHARE_POLICIES = ['open', 'enforce'] as const;
export type SharePolicy = (typeof SHARE_POLICIES)[number];

/** A setting that cannot be used; main prints `message` alone and exits with status 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  /** A key pasted into the wrong setting must not be echoed back. */
  constructor(message: string) {
    super(redactSecrets(message));
  }
}

interface Setting {
  env: string;
  flag: string;
  /** The flag's value, as the help shows it. */
  arg: string;
  /** What applies when neither the flag nor the variable is set, as the help says it. */
  default: string;
  description: string;
}

/** Every setting of `run`: the environment variable and the flag that mirrors it. */
export const SETTINGS = {
  openaiAdminKey: {
    env: 'OPENAI_ADMIN_KEY',
    flag: 'openai-admin-key',
    arg: 'KEY',
    default: 'required',
    description: 'OpenAI admin key (sk-admin-...)',
  },
  openaiBaseUrl: {
    env: 'OPENAI_BASE_URL',
    flag: 'openai-base-url',
    arg: 'URL',
    default: 'https://api.openai.com/v1',
    description: 'OpenAI API base URL',
  },
  watchNamespaces: {
    env: 'WATCH_NAMESPACES',
    flag: 'watch-namespaces',
    arg: 'A,B',
    default: 'all namespaces',
    description: 'comma-separated namespaces to watch',
  },
  maxConcurrentReconciles: {
    env: 'MAX_CONCURRENT_RECONCILES',
    flag: 'max-concurrent-reconciles',
    arg: 'N',
    default: '4',
    description: 'checkpoints reconciled in parallel',
  },
  resyncInterval: {
    env: 'RESYNC_INTERVAL',
    flag: 'resync-interval',
    arg: 'DURATION',
    default: '10m',
    description: 'default drift-check interval',
  },
  minResyncInterval: {
    env: 'MIN_RESYNC_INTERVAL',
    flag: 'min-resync-interval',
    arg: 'DURATION',
    default: '30s',
    description: 'shortest drift-check interval: floor of spec.interval and RESYNC_INTERVAL',
  },
  openaiMaxRps: {
    env: 'OPENAI_MAX_RPS',
    flag: 'openai-max-rps',
    arg: 'N',
    default: '5',
    description: 'OpenAI requests per second, shared by all calls',
  },
  openaiRequestTimeout: {
    env: 'OPENAI_REQUEST_TIMEOUT',
    flag: 'openai-request-timeout',
    arg: 'DURATION',
    default: '30s',
    description: 'deadline of one OpenAI request, response body included',
  },
  leaderElection: {
    env: 'LEADER_ELECTION',
    flag: 'leader-election',
    arg: 'true|false',
    default: 'true',
    description: 'leader election, in a cluster or not',
  },
  leaseDuration: {
    env: 'LEASE_DURATION',
    flag: 'lease-duration',
    arg: 'DURATION',
    default: '15s',
    description: 'how long a standby waits on an unrenewed Lease before taking it',
  },
  renewDeadline: {
    env: 'RENEW_DEADLINE',
    flag: 'renew-deadline',
    arg: 'DURATION',
    default: '10s',
    description: 'how long the leader keeps trying to renew before it stops acting; shorter than the lease',
  },
  retryPeriod: {
    env: 'RETRY_PERIOD',
    flag: 'retry-period',
    arg: 'DURATION',
    default: '2s',
    description: 'how often the Lease is renewed or tried; renew deadline > 1.2 x this',
  },
  podNamespace: {
    env: 'POD_NAMESPACE',
    flag: 'pod-namespace',
    arg: 'NS',
    default: "the pod's namespace, else default",
    description: 'namespace of the leader-election Lease',
  },
  httpPort: {
    env: 'HTTP_PORT',
    flag: 'http-port',
    arg: 'N',
    default: '8080',
    description: 'port of /healthz, /readyz and /metrics',
  },
  logLevel: {
    env: 'LOG_LEVEL',
    flag: 'log-level',
    arg: 'LEVEL',
    default: 'info',
    description: 'trace, debug, info, warn, error',
  },
  sharePolicy: {
    env: 'SHARE_POLICY',
    flag: 'share-policy',
    arg: 'open|enforce',
    default: 'open',
    description: 'enforce: CheckpointSharePolicies bound what each namespace may share; open: ignored',
  },
  auditLog: {
    env: 'AUDIT_LOG',
    flag: 'audit-log',
    arg: 'auto|on|off',
    default: 'auto',
    description:
      "find drift from the organization's audit log; auto lists instead when it cannot be read, on also turns /readyz red",
  },
  auditLogPollInterval: {
    env: 'AUDIT_LOG_POLL_INTERVAL',
    flag: 'audit-log-poll-interval',
    arg: 'DURATION',
    default: '30s',
    description: 'how often the audit log is read (one request per page of 100 events)',
  },
  auditResyncInterval: {
    env: 'AUDIT_RESYNC_INTERVAL',
    flag: 'audit-resync-interval',
    arg: 'DURATION',
    default: '6h',
    description:
      'full-list interval while the audit log is followed (jittered; spec.interval wins when shorter)',
  },
  kubeconfig: {
    env: 'KUBECONFIG',
    flag: 'kubeconfig',
    arg: 'PATH[:PATH]',
    default: '~/.kube/config',
    description: 'kubeconfig path(s), merged as kubectl does, outside a cluster',
  },
} as const satisfies Record<string, Setting>;

/**
 * One line per setting, generated from SETTINGS so the help cannot drift from what is read:
 * the flag and its value, the variable, the default; then what it is for.
 */
export function settingsHelp(): string {
  const rows = Object.values(SETTINGS).map((s: Setting) => ({
    flag: `--${s.flag} ${s.arg}`,
    env: s.env,
    default: s.default,
    description: s.description,
  }));
  const flagWidth = Math.max(...rows.map((r) => r.flag.length)) + 2;
  const envWidth = Math.max(...rows.map((r) => r.env.length)) + 2;
  return rows
    .map(
      (r) =>
        `  ${r.flag.padEnd(flagWidth)}${r.env.padEnd(envWidth)}${r.default}\n${' '.repeat(4)}${r.description}\n`,
    )
    .join('');
}

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface ConfigSources {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** Whether a service-account token is mounted. */
  inCluster: boolean;
  inClusterNamespace?: string | undefined;
}

/** Flags win over the environment; every value is checked once here and the result is frozen. */
export function loadConfig(sources: ConfigSources): Config {
  const options = Object.fromEntries(
    Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }]),
  );
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...sources.argv], options, strict: true, allowPositionals: false }).values;
  } catch (error: unknown) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  const read = (setting: Setting): string | undefined => {
    const flag = values[setting.flag];
    const raw = typeof flag === 'string' ? flag : sources.env[setting.env];
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  };
  const name = (setting: Setting) => `${setting.env} (--${setting.flag})`;

  const openaiAdminKey = read(SETTINGS.openaiAdminKey);
  if (!openaiAdminKey) throw new ConfigError(`${name(SETTINGS.openaiAdminKey)} is required`);

  const openaiBaseUrl = read(SETTINGS.openaiBaseUrl) ?? 'https://api.openai.com/v1';
  checkBaseUrl(openaiBaseUrl, name(SETTINGS.openaiBaseUrl));

  const watchNamespaces = (read(SETTINGS.watchNamespaces) ?? '')
    .split(',')
    .map((ns) => ns.trim())
    .filter((ns) => ns !== '');
  for (const ns of watchNamespaces) {
    if (!NAMESPACE.test(ns))
      throw new ConfigError(
        `${name(SETTINGS.watchNamespaces)} holds an invalid namespace ${JSON.stringify(ns)}`,
      );
  }

  const leaderRaw = read(SETTINGS.leaderElection);
  if (leaderRaw !== undefined && leaderRaw !== 'true' && leaderRaw !== 'false') {
    throw new ConfigError(
      `${name(SETTINGS.leaderElection)} must be true or false, got ${JSON.stringify(leaderRaw)}`,
    );
  }

  const lease = leaseTimings(read, name);

  const logLevel = read(SETTINGS.logLevel) ?? 'info';
  if (!LOG_LEVELS.has(logLevel)) {
    throw new ConfigError(
      `${name(SETTINGS.logLevel)} must be one of ${[...LOG_LEVELS].join(', ')}, got ${JSON.stringify(logLevel)}`,
    );
  }

  const sharePolicy = read(SETTINGS.sharePolicy) ?? 'open';
  if (!(SHARE_POLICIES as readonly string[]).includes(sharePolicy)) {
    throw new ConfigError(
      `${name(SETTINGS.sharePolicy)} must be open or enforce, got ${JSON.stringify(sharePolicy)}`,
    );
  }

  const podNamespace = read(SETTINGS.podNamespace) ?? sources.inClusterNamespace ?? 'default';
  if (!NAMESPACE.test(podNamespace))
    throw new ConfigError(
      `${name(SETTINGS.podNamespace)} is not a namespace name: ${JSON.stringify(podNamespace)}`,
    );

  const resyncIntervalMs = duration(read(SETTINGS.resyncInterval), '10m', name(SETTINGS.resyncInterval));
  const minResyncIntervalMs = duration(
    read(SETTINGS.minResyncInterval),
    '30s',
    name(SETTINGS.minResyncInterval),
  );
  if (resyncIntervalMs < minResyncIntervalMs) {
    throw new ConfigError(
      `${name(SETTINGS.resyncInterval)} must be at least ${name(SETTINGS.minResyncInterval)} (${formatDuration(minResyncIntervalMs)}), got ${formatDuration(resyncIntervalMs)}`,
    );
  }

  const auditLog = read(SETTINGS.auditLog) ?? 'auto';
  if (!(AUDIT_LOG_SETTINGS as readonly string[]).includes(auditLog)) {
    throw new ConfigError(
      `${name(SETTINGS.auditLog)} must be auto, on or off, got ${JSON.stringify(auditLog)}`,
    );
  }
  const auditLogPollIntervalMs = duration(
    read(SETTINGS.auditLogPollInterval),
    '30s',
    name(SETTINGS.auditLogPollInterval),
  );
  if (auditLogPollIntervalMs < 1000) {
    throw new ConfigError(
      `${name(SETTINGS.auditLogPollInterval)} must be at least 1s, got ${formatDuration(auditLogPollIntervalMs)}`,
    );
  }
  // Unset, it is at least RESYNC_INTERVAL, so a deployment with a long RESYNC_INTERVAL upgrades as is.
  const auditResyncRaw = read(SETTINGS.auditResyncInterval);
  const auditResyncIntervalMs =
    auditResyncRaw === undefined
      ? Math.max(6 * 3_600_000, resyncIntervalMs)
      : duration(auditResyncRaw, '6h', name(SETTINGS.auditResyncInterval));
  if (auditLog !== 'off' && auditResyncIntervalMs < resyncIntervalMs) {
    throw new ConfigError(
      `${name(SETTINGS.auditResyncInterval)} must be at least ${name(SETTINGS.resyncInterval)} (${formatDuration(resyncIntervalMs)}), got ${formatDuration(auditResyncIntervalMs)}`,
    );
  }

  return Object.freeze({
    openaiAdminKey,
    openaiBaseUrl: openaiBaseUrl.replace(/\/+$/, ''),
    watchNamespaces: Object.freeze(watchNamespaces),
    maxConcurrentReconciles: integer(
      read(SETTINGS.maxConcurrentReconciles),
      4,
      1,
      64,
      name(SETTINGS.maxConcurrentReconciles),
    ),
    resyncIntervalMs,
    minResyncIntervalMs,
    openaiMaxRps: positiveNumber(read(SETTINGS.openaiMaxRps), 5, name(SETTINGS.openaiMaxRps)),
    openaiRequestTimeoutMs: duration(
      read(SETTINGS.openaiRequestTimeout),
      '30s',
      name(SETTINGS.openaiRequestTimeout),
    ),
    // On everywhere: two replicas started by hand against one cluster must not both grant.
    leaderElection: leaderRaw !== 'false',
    ...lease,
    podNamespace,
    httpPort: integer(read(SETTINGS.httpPort), 8080, 0, 65535, name(SETTINGS.httpPort)),
    logLevel,
    kubeconfig: read(SETTINGS.kubeconfig),
    sharePolicy: sharePolicy as SharePolicy,
    auditLog: auditLog as AuditLogSetting,
    auditLogPollIntervalMs,
    auditResyncIntervalMs,
  });
}

/**
 * The admin key travels in every request's Authorization header: only over TLS, except to this
 * machine (a local proxy or stand-in). Credentials in the URL are refused rather than stripped,
 * and never repeated in the message.
 */
export function checkBaseUrl(raw: string, name: string): void {
  const shown = JSON.stringify(raw.replace(/\/\/[^/]*@/, '//***@'));
  if (!URL.canParse(raw)) throw new ConfigError(`${name} must be an https:// URL, got ${shown}`);
  const url = new URL(raw);
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(
      `${name} must not hold a user name or password (user:password@); the admin key comes from ${SETTINGS.openaiAdminKey.env}`,
    );
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname))) return;
  throw new ConfigError(
    `${name} must be an https:// URL (http:// only to localhost, 127.0.0.0/8 or [::1]), got ${shown}`,
  );
}

/** `hostname` as WHATWG URL normalises it: IPv4 in dotted decimal, IPv6 in brackets. */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * The Lease timings, checked as client-go checks them: the leader gives up (renew deadline)
 * before a standby may take over (lease duration), and has time for more than one jittered try.
 */
function leaseTimings(
  read: (setting: Setting) => string | undefined,
  name: (setting: Setting) => string,
): Pick<Config, 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'> {
  const setting = (s: Setting, fallback: string) => {
    const raw = read(s) ?? fallback;
    return { raw, ms: duration(raw, fallback, name(s)), named: `${name(s)} (${raw})` };
  };
  const lease = setting(SETTINGS.leaseDuration, '15s');
  const renew = setting(SETTINGS.renewDeadline, '10s');
  const retry = setting(SETTINGS.retryPeriod, '2s');
  // The Lease records whole seconds.
  if (lease.ms < 1000) throw new ConfigError(`${lease.named} must be at least 1s`);
  if (lease.ms <= renew.ms) throw new ConfigError(`${lease.named} must be longer than ${renew.named}`);
  if (renew.ms <= retry.ms * 1.2)
    throw new ConfigError(`${renew.named} must be longer than 1.2 × ${retry.named}`);
  return { leaseDurationMs: lease.ms, renewDeadlineMs: renew.ms, retryPeriodMs: retry.ms };
}

function integer(raw: string | undefined, fallback: number, min: number, max: number, name: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function positiveNumber(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new ConfigError(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

function duration(raw: string | undefined, fallback: string, name: string): number {
  const value = parseDuration(raw ?? fallback);
  if (value === undefined || value <= 0) {
    throw new ConfigError(`${name} must be a duration such as 30s, 10m or 1h, got ${JSON.stringify(raw)}`);
  }
  return value;
}
