import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { Env } from '../support/harness.js';
import { OperatorProcess } from '../support/operator-process.js';

/** Settings that would work, so each case breaks exactly one. */
function workingSettings(env: Env): Record<string, string> {
  return {
    KUBECONFIG: env.kubeconfig,
    OPENAI_BASE_URL: env.openai.baseURL,
    OPENAI_ADMIN_KEY: env.openai.adminKey,
    LEADER_ELECTION: 'false',
    HTTP_PORT: '0',
  };
}

describe('checkpoint-share CLI: configuration and help', () => {
  let env: Env;
  beforeAll(async () => {
    env = await Env.start();
  });
  afterAll(async () => {
    await env.close();
  });

  const misconfigured: {
    reason: string;
    args?: string[];
    env: Record<string, string>;
    names: string;
  }[] = [
    {
      reason: 'a missing OPENAI_ADMIN_KEY',
      env: { OPENAI_ADMIN_KEY: '' },
      names: 'OPENAI_ADMIN_KEY',
    },
  ];

  // One process proves the path end to end (exit status 2, one stderr line, nothing started);
  // every other bad setting is checked in-process by test/unit/config.test.ts. No case of this
  // file may reach the stand-ins, so their request logs stay empty throughout.
  for (const c of misconfigured) {
    it.concurrent(`run with ${c.reason} exits 2 with one stderr line naming it, and starts nothing`, async ({
      expect,
    }) => {
      const operator = new OperatorProcess(['run', ...(c.args ?? [])], { ...workingSettings(env), ...c.env });
      const { code } = await operator.exited;

      expect(code).toBe(2);
      expect(operator.stderr).toHaveLength(1);
      expect(operator.stderr[0]).toMatch(/^checkpoint-share run: /);
      expect(operator.stderr[0]).toContain(c.names);
      expect(operator.stdout).toEqual([]);
      expect(env.kube.requests()).toEqual([]);
      expect(env.openai.requests()).toEqual([]);
    });
  }

  // Kubeconfig problems are start-up configuration errors too; test/unit/kube-config.test.ts covers them in-process.
  it.concurrent('run with HTTP_PORT already in use exits 2 with one stderr line naming it', async ({
    expect,
  }) => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, resolve));
    const port = (holder.address() as AddressInfo).port;
    try {
      const operator = new OperatorProcess(['run'], { ...workingSettings(env), HTTP_PORT: String(port) });
      const { code } = await operator.exited;
      expect(code).toBe(2);
      expect(operator.stderr).toEqual([
        `checkpoint-share run: HTTP_PORT (--http-port): port ${port} is already in use`,
      ]);
    } finally {
      holder.close();
    }
  });

  it.concurrent('run with an admin key pasted into OPENAI_BASE_URL exits 2 without echoing the key', async ({
    expect,
  }) => {
    const key = 'sk-admin-PastedIntoTheWrongSetting0123456789';
    const operator = new OperatorProcess(['run'], { ...workingSettings(env), OPENAI_BASE_URL: key });
    const { code } = await operator.exited;
    expect(code).toBe(2);
    expect(operator.stderr).toHaveLength(1);
    expect(operator.stderr[0]).toContain('OPENAI_BASE_URL');
    expect(operator.stderr.join('\n')).not.toContain('PastedIntoTheWrongSetting');
  });

  // The run usage names every setting of docs/design.md with the flag that mirrors it.
  const runSettings = [
    ['--openai-admin-key', 'OPENAI_ADMIN_KEY'],
    ['--openai-base-url', 'OPENAI_BASE_URL'],
    ['--watch-namespaces', 'WATCH_NAMESPACES'],
    ['--max-concurrent-reconciles', 'MAX_CONCURRENT_RECONCILES'],
    ['--resync-interval', 'RESYNC_INTERVAL'],
    ['--min-resync-interval', 'MIN_RESYNC_INTERVAL'],
    ['--openai-max-rps', 'OPENAI_MAX_RPS'],
    ['--leader-election', 'LEADER_ELECTION'],
    ['--lease-duration', 'LEASE_DURATION'],
    ['--renew-deadline', 'RENEW_DEADLINE'],
    ['--retry-period', 'RETRY_PERIOD'],
    ['--pod-namespace', 'POD_NAMESPACE'],
    ['--http-port', 'HTTP_PORT'],
    ['--log-level', 'LOG_LEVEL'],
  ].map(([flag, variable]) => `${flag} .* ${variable} `);

  const helps: { reason: string; args: string[]; says: string; lists?: string[]; omits?: string[] }[] = [
    {
      reason: 'top level --help, which offers the operator alone (the stand-ins live in packages/sandbox)',
      args: ['--help'],
      says: 'Usage: checkpoint-share <command>',
      lists: ['run '],
      omits: ['sandbox', 'demo', 'stand-in'],
    },
    { reason: 'no command at all', args: [], says: 'Usage: checkpoint-share <command>' },
    {
      reason: 'run --help, with no key set,',
      args: ['run', '--help'],
      says: 'Usage: checkpoint-share run',
      lists: runSettings,
    },
  ];

  for (const c of helps) {
    it.concurrent(`${c.reason} exits 0 and prints usage to stdout`, async ({ expect }) => {
      const operator = new OperatorProcess(c.args, {});
      const { code } = await operator.exited;
      expect(code).toBe(0);
      expect(operator.stdout[0]).toContain(c.says);
      expect(operator.stderr).toEqual([]);
      const usage = operator.stdout.join('\n');
      for (const pattern of c.lists ?? []) expect(usage).toMatch(new RegExp(pattern));
      for (const word of c.omits ?? []) expect(usage).not.toContain(word);
    });
  }

  it.concurrent("--version prints package.json's version, the one the image is tagged with", async ({
    expect,
  }) => {
    const operator = new OperatorProcess(['--version'], {});
    const { code } = await operator.exited;
    expect(code).toBe(0);
    const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(operator.stdout).toEqual([`checkpoint-share ${manifest.version}`]);
  });

  it.concurrent('an unknown command exits 2 and prints the usage to stderr', async ({ expect }) => {
    const operator = new OperatorProcess(['runn'], {});
    const { code } = await operator.exited;
    expect(code).toBe(2);
    expect(operator.stderr[0]).toContain('unknown command "runn"');
    expect(operator.stderr.join('\n')).toContain('Usage: checkpoint-share <command>');
  });
});
