import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/api/duration.js';
import { ConfigError, loadConfig } from '../../src/config.js';

const KEY = 'sk-admin-test-0000';

function load(env: Record<string, string>, argv: string[] = [], inCluster = false) {
  return loadConfig({ argv, env: { OPENAI_ADMIN_KEY: KEY, ...env }, inCluster });
}

describe('loadConfig', () => {
  it('applies the defaults the README names', () => {
    expect(load({})).toMatchObject({
      openaiBaseUrl: 'https://api.openai.com/v1',
      watchNamespaces: [],
      maxConcurrentReconciles: 4,
      resyncIntervalMs: 600_000,
      minResyncIntervalMs: 30_000,
      openaiMaxRps: 5,
      leaderElection: true,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      openaiRequestTimeoutMs: 30_000,
      httpPort: 8080,
      logLevel: 'info',
      auditLog: 'auto',
      auditLogPollIntervalMs: 30_000,
      auditResyncIntervalMs: 6 * 3_600_000,
    });
  });

  it.each([
    { reason: 'outside a cluster, as in a cluster', env: {}, argv: [], inCluster: false, want: true },
    { reason: 'in a cluster', env: {}, argv: [], inCluster: true, want: true },
    {
      reason: 'turned off by flag',
      env: {},
      argv: ['--leader-election=false'],
      inCluster: false,
      want: false,
    },
    {
      reason: 'turned off by variable',
      env: { LEADER_ELECTION: 'false' },
      argv: [],
      inCluster: true,
      want: false,
    },
    {
      reason: 'the flag wins over the variable',
      env: { LEADER_ELECTION: 'false' },
      argv: ['--leader-election', 'true'],
      inCluster: false,
      want: true,
    },
  ])('leader election is on by default: $reason', ({ env, argv, inCluster, want }) => {
    expect(load(env, argv, inCluster).leaderElection).toBe(want);
  });

  it('reads every setting from the environment, and flags win', () => {
    const config = load(
      {
        OPENAI_BASE_URL: 'http://127.0.0.1:9/v1/',
        WATCH_NAMESPACES: 'ml, risk',
        MAX_CONCURRENT_RECONCILES: '8',
        RESYNC_INTERVAL: '1m30s',
        MIN_RESYNC_INTERVAL: '1m',
        OPENAI_MAX_RPS: '2.5',
        LEADER_ELECTION: 'false',
        LEASE_DURATION: '4s',
        RENEW_DEADLINE: '3s',
        RETRY_PERIOD: '500ms',
        OPENAI_REQUEST_TIMEOUT: '2s',
        POD_NAMESPACE: 'ops',
        HTTP_PORT: '9090',
        LOG_LEVEL: 'debug',
        SHARE_POLICY: 'open',
      },
      ['--http-port', '7070', '--retry-period=1s', '--share-policy', 'enforce'],
    );
    expect(config).toMatchObject({
      openaiBaseUrl: 'http://127.0.0.1:9/v1',
      watchNamespaces: ['ml', 'risk'],
      maxConcurrentReconciles: 8,
      resyncIntervalMs: 90_000,
      minResyncIntervalMs: 60_000,
      openaiMaxRps: 2.5,
      leaderElection: false,
      leaseDurationMs: 4_000,
      renewDeadlineMs: 3_000,
      retryPeriodMs: 1_000,
      openaiRequestTimeoutMs: 2000,
      podNamespace: 'ops',
      httpPort: 7070,
      logLevel: 'debug',
      sharePolicy: 'enforce',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    { reason: 'missing admin key', env: { OPENAI_ADMIN_KEY: '' }, argv: [], names: 'OPENAI_ADMIN_KEY' },
    {
      reason: 'malformed duration',
      env: { RESYNC_INTERVAL: '10 minutes' },
      argv: [],
      names: 'RESYNC_INTERVAL',
    },
    {
      reason: 'a default drift interval under the default floor',
      env: { RESYNC_INTERVAL: '10s' },
      argv: [],
      names:
        'RESYNC_INTERVAL (--resync-interval) must be at least MIN_RESYNC_INTERVAL (--min-resync-interval) (30s), got 10s',
    },
    {
      reason: 'a default drift interval under a raised floor',
      env: { RESYNC_INTERVAL: '5m', MIN_RESYNC_INTERVAL: '10m' },
      argv: [],
      names: 'MIN_RESYNC_INTERVAL',
    },
    {
      reason: 'malformed floor',
      env: { MIN_RESYNC_INTERVAL: 'soon' },
      argv: [],
      names: 'MIN_RESYNC_INTERVAL',
    },
    { reason: 'zero floor', env: {}, argv: ['--min-resync-interval', '0s'], names: '--min-resync-interval' },
    { reason: 'malformed URL', env: { OPENAI_BASE_URL: 'not a url' }, argv: [], names: 'OPENAI_BASE_URL' },
    {
      reason: 'zero workers',
      env: { MAX_CONCURRENT_RECONCILES: '0' },
      argv: [],
      names: 'MAX_CONCURRENT_RECONCILES',
    },
    { reason: 'negative rate', env: { OPENAI_MAX_RPS: '-1' }, argv: [], names: 'OPENAI_MAX_RPS' },
    {
      reason: 'a request timeout without a unit',
      env: { OPENAI_REQUEST_TIMEOUT: '30' },
      argv: [],
      names: 'OPENAI_REQUEST_TIMEOUT',
    },
    { reason: 'bad boolean', env: { LEADER_ELECTION: 'yes' }, argv: [], names: 'LEADER_ELECTION' },
    { reason: 'malformed lease duration', env: { LEASE_DURATION: '15' }, argv: [], names: 'LEASE_DURATION' },
    {
      reason: 'sub-second lease',
      env: { LEASE_DURATION: '900ms', RENEW_DEADLINE: '800ms', RETRY_PERIOD: '100ms' },
      argv: [],
      names: 'LEASE_DURATION',
    },
    {
      reason:
        'renew deadline not shorter than the lease (a standby could take over while the leader still acts)',
      env: { LEASE_DURATION: '10s' },
      argv: [],
      names:
        'LEASE_DURATION (--lease-duration) (10s) must be longer than RENEW_DEADLINE (--renew-deadline) (10s)',
    },
    {
      reason: 'retry period leaves no second try within the renew deadline',
      env: {},
      argv: ['--renew-deadline=2s'],
      names: 'RENEW_DEADLINE (--renew-deadline) (2s) must be longer than 1.2 × RETRY_PERIOD',
    },
    { reason: 'malformed retry period', env: { RETRY_PERIOD: 'often' }, argv: [], names: 'RETRY_PERIOD' },
    { reason: 'bad namespace', env: { WATCH_NAMESPACES: 'ML' }, argv: [], names: 'WATCH_NAMESPACES' },
    { reason: 'unknown log level', env: { LOG_LEVEL: 'loud' }, argv: [], names: 'LOG_LEVEL' },
    { reason: 'unknown share policy', env: { SHARE_POLICY: 'strict' }, argv: [], names: 'SHARE_POLICY' },
    {
      reason: 'unknown audit-log setting',
      env: { AUDIT_LOG: 'yes' },
      argv: [],
      names: 'AUDIT_LOG (--audit-log) must be auto, on or off',
    },
    {
      reason: 'an audit-log poll more often than every second',
      env: { AUDIT_LOG_POLL_INTERVAL: '500ms' },
      argv: [],
      names: 'AUDIT_LOG_POLL_INTERVAL (--audit-log-poll-interval) must be at least 1s',
    },
    {
      reason: 'a safety-net interval shorter than the list interval',
      env: { AUDIT_RESYNC_INTERVAL: '5m' },
      argv: [],
      names: 'AUDIT_RESYNC_INTERVAL (--audit-resync-interval) must be at least RESYNC_INTERVAL',
    },
    { reason: 'unknown flag', env: {}, argv: ['--colour', 'blue'], names: '--colour' },
    {
      reason: 'a malformed flag value, which wins over a good variable',
      env: { MAX_CONCURRENT_RECONCILES: '2' },
      argv: ['--max-concurrent-reconciles', 'many'],
      names: 'MAX_CONCURRENT_RECONCILES',
    },
    {
      reason: 'an OPENAI_BASE_URL without a scheme',
      env: { OPENAI_BASE_URL: 'api.openai.com/v1' },
      argv: [],
      names: 'OPENAI_BASE_URL',
    },
  ])('rejects $reason with a message naming it', ({ env, argv, names }) => {
    expect(() => load(env, argv)).toThrow(ConfigError);
    expect(() => load(env, argv)).toThrow(names);
  });

  it('lets a test lower the floor to drift-check every second', () => {
    expect(load({ RESYNC_INTERVAL: '1s', MIN_RESYNC_INTERVAL: '1s' })).toMatchObject({
      resyncIntervalMs: 1000,
      minResyncIntervalMs: 1000,
    });
  });

  it.each([
    { reason: 'the default', url: undefined, ok: 'https://api.openai.com/v1' },
    {
      reason: 'a gateway over TLS',
      url: 'https://gateway.example.com/openai/v1/',
      ok: 'https://gateway.example.com/openai/v1',
    },
    { reason: 'a local proxy by name', url: 'http://localhost:8080/v1', ok: 'http://localhost:8080/v1' },
    { reason: 'anywhere in 127.0.0.0/8', url: 'http://127.10.0.3:9/v1', ok: 'http://127.10.0.3:9/v1' },
    { reason: 'IPv6 loopback', url: 'http://[::1]:9/v1', ok: 'http://[::1]:9/v1' },
    {
      reason: 'plain HTTP to another host would carry the key in clear',
      url: 'http://api.openai.com/v1',
      ok: undefined,
    },
    { reason: 'plain HTTP to a private address', url: 'http://10.0.0.5/v1', ok: undefined },
    {
      reason: 'a host that only starts like loopback',
      url: 'http://127.0.0.1.example.com/v1',
      ok: undefined,
    },
    {
      reason: 'a name that only starts like localhost',
      url: 'http://localhost.example.com/v1',
      ok: undefined,
    },
    { reason: 'another scheme', url: 'ftp://127.0.0.1/v1', ok: undefined },
  ])('OPENAI_BASE_URL: $reason', ({ url, ok }) => {
    const attempt = () => load(url === undefined ? {} : { OPENAI_BASE_URL: url });
    if (ok) expect(attempt().openaiBaseUrl).toBe(ok);
    else expect(attempt).toThrow(/^OPENAI_BASE_URL \(--openai-base-url\) must be an https:\/\/ URL/);
  });

  it.each([
    { reason: 'user and password over TLS', url: 'https://me:hunter2secret@gateway.example.com/v1' },
    { reason: 'a password alone, even to loopback', url: 'http://:hunter2secret@127.0.0.1:9/v1' },
    { reason: 'an unparsable URL with a password', url: 'https://me:hunter2secret@ bad host/v1' },
  ])('OPENAI_BASE_URL with credentials is refused without repeating them: $reason', ({ url }) => {
    expect(() => load({ OPENAI_BASE_URL: url })).toThrow(ConfigError);
    expect(() => load({ OPENAI_BASE_URL: url })).toThrow('OPENAI_BASE_URL');
    expect(() => load({ OPENAI_BASE_URL: url })).not.toThrow('hunter2secret');
  });

  it('never puts the admin key in an error message', () => {
    const error = (() => {
      try {
        load({ OPENAI_BASE_URL: KEY });
      } catch (e: unknown) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toContain('OPENAI_BASE_URL');
    expect(String(error)).not.toContain(KEY);
  });
});

describe('parseDuration', () => {
  it.each([
    { text: '30s', ms: 30_000 },
    { text: '10m', ms: 600_000 },
    { text: '1h30m', ms: 5_400_000 },
    { text: '250ms', ms: 250 },
    { text: '1.5s', ms: 1500 },
    { text: '10', ms: undefined },
    { text: '1d', ms: undefined },
    { text: '', ms: undefined },
  ])('$text -> $ms', ({ text, ms }) => {
    expect(parseDuration(text)).toBe(ms);
  });
});

describe('SHARE_POLICY', () => {
  it('is open by default: policies are ignored unless asked for', () => {
    expect(
      loadConfig({ argv: [], env: { OPENAI_ADMIN_KEY: 'sk-admin-x' }, inCluster: false }).sharePolicy,
    ).toBe('open');
  });
});

describe('AUDIT_LOG', () => {
  it('keeps a long RESYNC_INTERVAL valid on upgrade: the safety net defaults to at least it', () => {
    expect(load({ RESYNC_INTERVAL: '12h' }).auditResyncIntervalMs).toBe(12 * 3_600_000);
    expect(load({ AUDIT_LOG: 'off', AUDIT_RESYNC_INTERVAL: '5m' }).auditLog).toBe('off');
  });

  it('reads the follower settings from flags and variables', () => {
    const config = load({ AUDIT_LOG: 'on', AUDIT_LOG_POLL_INTERVAL: '10s' }, [
      '--audit-resync-interval=2h',
      '--audit-log=off',
    ]);
    expect(config).toMatchObject({
      auditLog: 'off',
      auditLogPollIntervalMs: 10_000,
      auditResyncIntervalMs: 7_200_000,
    });
  });
});
