import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/api/duration.js';
import { RUN_HELP } from '../../src/cli/run.js';
import { loadConfig, SETTINGS } from '../../src/config.js';

const KEY = 'sk-admin-unit-test-key-0000000000';
const settingLines = RUN_HELP.split('\n').filter((line) => line.startsWith('  --'));

describe('run --help, generated from the settings table', () => {
  for (const [name, setting] of Object.entries(SETTINGS)) {
    it(`offers ${setting.env} on one line with its flag, value and default`, () => {
      const line = settingLines.find((l) => l.startsWith(`  --${setting.flag} `));
      expect(line, name).toBeDefined();
      expect(line).toMatch(new RegExp(`--${setting.flag} \\S+ +${setting.env} +\\S`));
      expect(line?.trimEnd().endsWith(setting.default)).toBe(true);
      expect(RUN_HELP).toContain(setting.description);
    });
  }

  it('has no line for a setting the table does not know', () => {
    const known = new Set<string>(Object.values(SETTINGS).map((s) => s.flag));
    const offered = settingLines.map((l) => l.trim().split(' ')[0]?.slice(2));
    expect(offered.filter((flag) => !known.has(flag ?? ''))).toEqual([]);
    expect(offered).toHaveLength(known.size);
  });

  // The default the help states is the one loadConfig applies, for every default a number or
  // a duration can state.
  const config = loadConfig({ argv: [], env: { OPENAI_ADMIN_KEY: KEY }, inCluster: false });
  it.each([
    {
      reason: 'workers',
      stated: SETTINGS.maxConcurrentReconciles.default,
      value: config.maxConcurrentReconciles,
    },
    { reason: 'requests per second', stated: SETTINGS.openaiMaxRps.default, value: config.openaiMaxRps },
    { reason: 'http port', stated: SETTINGS.httpPort.default, value: config.httpPort },
    {
      reason: 'resync',
      stated: String(parseDuration(SETTINGS.resyncInterval.default)),
      value: config.resyncIntervalMs,
    },
    {
      reason: 'resync floor',
      stated: String(parseDuration(SETTINGS.minResyncInterval.default)),
      value: config.minResyncIntervalMs,
    },
    {
      reason: 'request timeout',
      stated: String(parseDuration(SETTINGS.openaiRequestTimeout.default)),
      value: config.openaiRequestTimeoutMs,
    },
    {
      reason: 'lease',
      stated: String(parseDuration(SETTINGS.leaseDuration.default)),
      value: config.leaseDurationMs,
    },
    {
      reason: 'renew',
      stated: String(parseDuration(SETTINGS.renewDeadline.default)),
      value: config.renewDeadlineMs,
    },
    {
      reason: 'retry',
      stated: String(parseDuration(SETTINGS.retryPeriod.default)),
      value: config.retryPeriodMs,
    },
    { reason: 'base URL', stated: SETTINGS.openaiBaseUrl.default, value: config.openaiBaseUrl },
    { reason: 'log level', stated: SETTINGS.logLevel.default, value: config.logLevel },
    { reason: 'leader election', stated: SETTINGS.leaderElection.default, value: config.leaderElection },
  ])('states the default loadConfig applies: $reason', ({ stated, value }) => {
    expect(stated).toBe(String(value));
  });
});
