import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/support/wait.js';
import { childrenOf, isRunning, SandboxProcess } from '../support/sandbox-process.js';

/** A private TMPDIR per case, so "no temp dir left behind" reads one folder. */
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'sandbox-cli-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function privateTmp(): string {
  return mkdtempSync(join(tmp, 'case-'));
}

describe('sandbox and demo: help and bad flags', () => {
  const helps = [
    { reason: 'no command', args: [], says: 'Usage: checkpoint-share-sandbox <command>' },
    { reason: 'sandbox --help', args: ['sandbox', '--help'], says: 'Usage: checkpoint-share sandbox' },
    { reason: 'demo --help', args: ['demo', '--help'], says: 'Usage: checkpoint-share demo' },
  ];
  for (const c of helps) {
    it.concurrent(`${c.reason} exits 0 and prints usage to stdout`, async ({ expect }) => {
      const cli = new SandboxProcess(c.args);
      const { code } = await cli.exited;
      expect(code).toBe(0);
      expect(cli.stdout[0]).toContain(c.says);
      expect(cli.stderr).toEqual([]);
    });
  }

  const refused = [
    {
      reason: 'contradictory --kube-only and --openai-only (it would start nothing)',
      args: ['sandbox', '--kube-only', '--openai-only'],
      names: ['--kube-only', '--openai-only'],
    },
    {
      reason: 'a --checkpoint without =OWNER',
      args: ['sandbox', '--checkpoint', 'foo'],
      names: ['--checkpoint', 'foo'],
    },
    {
      reason: 'a --checkpoint id that the CRD refuses',
      args: ['sandbox', '--checkpoint', 'foo=proj_owner'],
      names: ['--checkpoint', 'foo'],
    },
    {
      reason: 'a --checkpoint owner that is not a project id',
      args: ['sandbox', '--checkpoint', 'ft-AF1WoRqd3aJAHsqc9NY7iL8F=owner'],
      names: ['--checkpoint', 'owner'],
    },
    { reason: 'an unknown demo flag', args: ['demo', '--fast'], names: ['--fast'] },
    {
      reason: 'an --audit-log that is neither on nor off',
      args: ['sandbox', '--audit-log=maybe'],
      names: ['--audit-log', 'maybe'],
    },
    {
      reason: 'an --audit-log-lag that is not a duration',
      args: ['sandbox', '--audit-log-lag', '2 seconds'],
      names: ['--audit-log-lag', '2 seconds'],
    },
  ];
  for (const c of refused) {
    it.concurrent(`${c.reason} exits 2 naming it, and starts nothing`, async ({ expect }) => {
      const cli = new SandboxProcess(c.args, { TMPDIR: privateTmp() });
      try {
        const { code } = await cli.exited;
        expect(code, cli.stdout.join('\n')).toBe(2);
        expect(cli.stdout).toEqual([]);
        expect(cli.stderr).toHaveLength(1);
        for (const name of c.names) expect(cli.stderr[0]).toContain(name);
      } finally {
        await cli.kill();
      }
    });
  }
});

describe('sandbox', () => {
  it('starts the OpenAI stand-in with the audit log settings its flags give', async () => {
    const cli = new SandboxProcess(['sandbox', '--openai-only', '--audit-log=off', '--audit-log-lag', '2s'], {
      TMPDIR: privateTmp(),
    });
    try {
      await waitFor('the sandbox to print where it listens', () => cli.stdout.length > 0, {
        timeoutMs: 30_000,
      });
      const started = JSON.parse(cli.stdout[0] ?? '{}') as {
        openaiBaseUrl: string;
        openaiAdminKey: string;
        openaiControl: string;
      };
      const settings = await fetch(`${started.openaiControl}audit-log`);
      expect(await settings.json()).toMatchObject({ enabled: false, lagMs: 2000 });
      const refused = await fetch(`${started.openaiBaseUrl}/organization/audit_logs`, {
        headers: { authorization: `Bearer ${started.openaiAdminKey}` },
      });
      expect(refused.status).toBe(403);
      cli.child.kill('SIGTERM');
      expect((await cli.exited).code).toBe(0);
    } finally {
      await cli.kill();
    }
  });
});

describe('demo', () => {
  it('exits 0 within a minute, shows each step, ends with the expected permissions and suggests npm run sandbox', async () => {
    const demo = new SandboxProcess(['demo'], { TMPDIR: privateTmp() });
    const { code } = await Promise.race([
      demo.exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => {
          void demo.kill();
          reject(new Error('demo still running after 90 s'));
        }, 90_000).unref(),
      ),
    ]);
    const output = demo.stdout.join('\n');
    expect(code, output).toBe(0);
    const steps = [
      '== 1. Apply examples',
      '== 2. Edit',
      '== 3. Delete',
      '== 4. Drift',
      '== Final permissions',
    ];
    const positions = steps.map((s) => output.indexOf(s));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // What the operator did shows up as it happens: OpenAI calls, reconciles and share states.
    expect(output).toMatch(/openai> {3}POST {3}grant/);
    expect(output).toMatch(/openai> {3}DELETE revoke/);
    expect(output).toContain('operator> ');
    expect(output).toContain('Ready=True (Converged)');
    const final = output.slice(output.indexOf('== Final permissions'));
    expect(final).toContain(
      'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd: proj_analytics01, proj_forecasting01',
    );
    expect(final).toContain(
      'ft:gpt-4o-2024-08-06:acme:support-bot:Q2mX8kLp: proj_dashboards01, proj_reporting01',
    );
    expect(final).toContain(
      'ft:gpt-4o-mini-2024-07-18:acme:fraud:Zt5Hn2Wc:ckpt-step-2000: proj_fraudreview01',
    );
    expect(final).toContain('ft-LegacyClassifier0042: proj_legacyapps01');
    expect(output).not.toContain('demo failed');
    // npx would print npm's engine warnings twice and npx checkpoint-share --help shows npm's help.
    expect(demo.stdout.at(-1)).toContain('`npm run sandbox`');
    expect(demo.stdout.at(-1)).not.toContain('npx');
  });

  const interruptions: { reason: string; interrupt: (demo: SandboxProcess) => void }[] = [
    { reason: 'SIGINT to its PID', interrupt: (demo) => demo.child.kill('SIGINT') },
    { reason: 'SIGTERM to its PID', interrupt: (demo) => demo.child.kill('SIGTERM') },
    {
      reason: 'its reader going away (demo | head: EPIPE on stdout)',
      interrupt: (demo) => demo.child.stdout?.destroy(),
    },
  ];
  for (const c of interruptions) {
    it(`interrupted by ${c.reason}, stops its operator and removes its temp dir`, async () => {
      const dir = privateTmp();
      const demo = new SandboxProcess(['demo'], { TMPDIR: dir });
      let operators: number[] = [];
      try {
        await waitFor(
          'the demo to start its operator and apply examples/',
          () => {
            operators = childrenOf(demo.pid);
            return operators.length > 0 && demo.stdout.some((line) => line.startsWith('== 1.'));
          },
          { timeoutMs: 60_000 },
        );
        c.interrupt(demo);
        await demo.ended;
        expect(operators.filter(isRunning)).toEqual([]);
        expect(readdirSync(dir)).toEqual([]);
      } finally {
        await demo.kill();
        for (const pid of operators.filter(isRunning)) process.kill(pid, 'SIGKILL');
      }
    });
  }
});
