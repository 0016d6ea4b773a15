import { parseArgs } from 'node:util';
import { parseDuration } from './api/duration.js';
import { redactSecrets } from './observability/logger.js';

export interface Config {
  readonly openaiAdminKey: string;
  readonly openaiBaseUrl: string;
  /** Empty: every namespace. */
  readonly watchNamespaces: readonly string[];
  readonly maxConcurrentReconciles: number;
  readonly resyncIntervalMs: number;
  readonly openaiMaxRps: number;
  readonly openaiRequestTimeoutMs: number;
  readonly leaderElection: boolean;
  readonly podNamespace: string;
  readonly httpPort: number;
  readonly logLevel: string;
  readonly kubeconfig: string | undefined;
}

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
  description: string;
}

/** Every setting of `run`: the environment variable and the flag that mirrors it. */
export const SETTINGS = {
  openaiAdminKey: {
    env: 'OPENAI_ADMIN_KEY',
    flag: 'openai-admin-key',
    description: 'OpenAI admin key (sk-admin-...); required',
  },
  openaiBaseUrl: {
    env: 'OPENAI_BASE_URL',
    flag: 'openai-base-url',
    description: 'OpenAI API base URL (default https://api.openai.com/v1)',
  },
  watchNamespaces: {
    env: 'WATCH_NAMESPACES',
    flag: 'watch-namespaces',
    description: 'comma-separated namespaces to watch (default: all)',
  },
  maxConcurrentReconciles: {
    env: 'MAX_CONCURRENT_RECONCILES',
    flag: 'max-concurrent-reconciles',
    description: 'checkpoints reconciled in parallel (default 4)',
  },
  resyncInterval: {
    env: 'RESYNC_INTERVAL',
    flag: 'resync-interval',
    description: 'default drift-check interval (default 10m)',
  },
  openaiMaxRps: {
    env: 'OPENAI_MAX_RPS',
    flag: 'openai-max-rps',
    description: 'OpenAI requests per second, shared by all calls (default 5)',
  },
  openaiRequestTimeout: {
    env: 'OPENAI_REQUEST_TIMEOUT',
    flag: 'openai-request-timeout',
    description: 'deadline of one OpenAI request, response body included (default 30s)',
  },
  leaderElection: {
    env: 'LEADER_ELECTION',
    flag: 'leader-election',
    description: 'true/false (default true in a cluster, false outside)',
  },
  podNamespace: {
    env: 'POD_NAMESPACE',
    flag: 'pod-namespace',
    description: 'namespace of the leader-election Lease (default: in-cluster namespace, else default)',
  },
  httpPort: {
    env: 'HTTP_PORT',
    flag: 'http-port',
    description: 'port of /healthz, /readyz and /metrics (default 8080)',
  },
  logLevel: {
    env: 'LOG_LEVEL',
    flag: 'log-level',
    description: 'trace, debug, info, warn, error (default info)',
  },
  kubeconfig: {
    env: 'KUBECONFIG',
    flag: 'kubeconfig',
    description: 'kubeconfig path when not in a cluster (default ~/.kube/config)',
  },
} as const satisfies Record<string, Setting>;

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface ConfigSources {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** Whether a service-account token is mounted: decides leader election's default. */
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
  if (!URL.canParse(openaiBaseUrl) || !/^https?:$/.test(new URL(openaiBaseUrl).protocol)) {
    throw new ConfigError(
      `${name(SETTINGS.openaiBaseUrl)} must be an http(s) URL, got ${JSON.stringify(openaiBaseUrl)}`,
    );
  }

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

  const logLevel = read(SETTINGS.logLevel) ?? 'info';
  if (!LOG_LEVELS.has(logLevel)) {
    throw new ConfigError(
      `${name(SETTINGS.logLevel)} must be one of ${[...LOG_LEVELS].join(', ')}, got ${JSON.stringify(logLevel)}`,
    );
  }

  const podNamespace = read(SETTINGS.podNamespace) ?? sources.inClusterNamespace ?? 'default';
  if (!NAMESPACE.test(podNamespace))
    throw new ConfigError(
      `${name(SETTINGS.podNamespace)} is not a namespace name: ${JSON.stringify(podNamespace)}`,
    );

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
    resyncIntervalMs: duration(read(SETTINGS.resyncInterval), '10m', name(SETTINGS.resyncInterval)),
    openaiMaxRps: positiveNumber(read(SETTINGS.openaiMaxRps), 5, name(SETTINGS.openaiMaxRps)),
    openaiRequestTimeoutMs: duration(
      read(SETTINGS.openaiRequestTimeout),
      '30s',
      name(SETTINGS.openaiRequestTimeout),
    ),
    leaderElection: leaderRaw === undefined ? sources.inCluster : leaderRaw === 'true',
    podNamespace,
    httpPort: integer(read(SETTINGS.httpPort), 8080, 0, 65535, name(SETTINGS.httpPort)),
    logLevel,
    kubeconfig: read(SETTINGS.kubeconfig),
  });
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
