import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/api/duration.js';
import { ConfigError, loadConfig } from '../../src/config.js';

const KEY = 'sk-admin-test-0000';

function load(env: Record<string, string>, argv: string[] = [], inCluster = false) {
  return loadConfig({ argv, env: { OPENAI_ADMIN_KEY: KEY, ...env }, inCluster });
}

describe('loadConfig', () => {
  it('applies the defaults DESIGN.md names', () => {
    expect(load({})).toMatchObject({
      openaiBaseUrl: 'https://api.openai.com/v1',
      watchNamespaces: [],
      maxConcurrentReconciles: 4,
      resyncIntervalMs: 600_000,
      openaiMaxRps: 5,
      openaiRequestTimeoutMs: 30_000,
      leaderElection: false,
      httpPort: 8080,
      logLevel: 'info',
    });
    expect(load({}, [], true).leaderElection).toBe(true);
  });

  it('reads every setting from the environment, and flags win', () => {
    const config = load(
      {
        OPENAI_BASE_URL: 'http://127.0.0.1:9/v1/',
        WATCH_NAMESPACES: 'ml, risk',
        MAX_CONCURRENT_RECONCILES: '8',
        RESYNC_INTERVAL: '1m30s',
        OPENAI_MAX_RPS: '2.5',
        OPENAI_REQUEST_TIMEOUT: '2s',
        LEADER_ELECTION: 'true',
        POD_NAMESPACE: 'ops',
        HTTP_PORT: '9090',
        LOG_LEVEL: 'debug',
      },
      ['--http-port', '7070'],
    );
    expect(config).toMatchObject({
      openaiBaseUrl: 'http://127.0.0.1:9/v1',
      watchNamespaces: ['ml', 'risk'],
      maxConcurrentReconciles: 8,
      resyncIntervalMs: 90_000,
      openaiMaxRps: 2.5,
      openaiRequestTimeoutMs: 2000,
      leaderElection: true,
      podNamespace: 'ops',
      httpPort: 7070,
      logLevel: 'debug',
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
    { reason: 'bad namespace', env: { WATCH_NAMESPACES: 'ML' }, argv: [], names: 'WATCH_NAMESPACES' },
    { reason: 'unknown log level', env: { LOG_LEVEL: 'loud' }, argv: [], names: 'LOG_LEVEL' },
    { reason: 'unknown flag', env: {}, argv: ['--colour', 'blue'], names: '--colour' },
  ])('rejects $reason with a message naming it', ({ env, argv, names }) => {
    expect(() => load(env, argv)).toThrow(ConfigError);
    expect(() => load(env, argv)).toThrow(names);
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
