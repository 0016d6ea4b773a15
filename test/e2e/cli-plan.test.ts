import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-run.js';
import { CKPT, CKPT2, Env, NS } from '../support/harness.js';

let env: Env;
let dir: string;
afterEach(async () => {
  await env.close();
  await rm(dir, { recursive: true, force: true });
});

/** `checkpoint-share plan`, as CI runs it: the built binary, the key in the environment. */
function plan(args: string[], extraEnv: Record<string, string> = {}, input?: string) {
  return runCli(['plan', ...args], {
    env: {
      HOME: dir,
      OPENAI_BASE_URL: env.openai.baseURL,
      OPENAI_ADMIN_KEY: env.openai.adminKey,
      ...extraEnv,
    },
    ...(input === undefined ? {} : { input }),
  });
}

const share = (name: string, spec: Record<string, unknown>) =>
  `apiVersion: checkpointshare.io/v1alpha1
kind: CheckpointShare
metadata: {name: ${name}, namespace: ${NS}}
spec: ${JSON.stringify(spec)}
`;

async function manifest(name: string, ...docs: string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, docs.join('---\n'));
  return path;
}

describe('checkpoint-share plan', () => {
  it('shows what Authoritative would revoke on a checkpoint with hand-made grants, exits 2, and writes nothing', async () => {
    env = await Env.start();
    dir = await mkdtemp(join(tmpdir(), 'cps-plan-'));
    env.openai.store.addPermission(CKPT, 'proj_a');
    const legal = env.openai.store.addPermission(CKPT, 'proj_legal');
    const file = await manifest(
      'locked.yaml',
      share('locked', { checkpoint: CKPT, projectIds: ['proj_a', 'proj_b'], mode: 'Authoritative' }),
    );

    const run = await plan(['-f', file]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(2);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(CKPT);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}\+ grant {3}proj_b +for ml\/locked$/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}~ adopt {3}proj_a +existing permission, recorded by ml\/locked$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^ {2}- revoke {2}proj_legal +${legal.id}: not wanted, and the checkpoint is Authoritative \\(ml/locked\\)$`,
        ),
      ),
    );
    expect(lines).toContain('Plan: 1 to grant, 1 to adopt, 1 to revoke, 0 left alone, on 1 checkpoint.');
    // Read-only: one list, no create or delete.
    expect(env.openai.counts()).toMatchObject({ list: 1, grant: 0, revoke: 0 });
    expect(env.granted()).toEqual(['proj_a', 'proj_legal']);
  });

  it('under Managed leaves hand-made grants alone and exits 0; JSON for machines; stdin with other kinds mixed in', async () => {
    env = await Env.start();
    dir = await mkdtemp(join(tmpdir(), 'cps-plan-'));
    env.openai.store.addPermission(CKPT, 'proj_x');
    const input = [
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: unrelated}\n',
      share('weather', { checkpoint: CKPT, projectIds: ['proj_a'] }),
      share('bi', { checkpoint: CKPT2, projectIds: ['proj_a', 'proj_b'] }),
    ].join('---\n');

    const run = await plan(['-f', '-', '-o', 'json'], {}, input);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.summary).toEqual({
      checkpoints: 2,
      grant: 3,
      adopt: 0,
      revoke: 0,
      keep: 1,
      missingCheckpoints: [],
    });
    const weather = report.checkpoints.find((c: { checkpoint: string }) => c.checkpoint === CKPT);
    expect(weather.keep).toEqual([
      { projectId: 'proj_x', objects: [], why: 'granted outside any share (Managed leaves it alone)' },
    ]);
    expect(weather.grant).toEqual([{ projectId: 'proj_a', objects: ['ml/weather'] }]);
  });

  it('with --cluster, counts the live shares and their records: dropping a recorded project shows its revocation', async () => {
    env = await Env.start();
    dir = await mkdtemp(join(tmpdir(), 'cps-plan-'));
    env.startOperator();
    await env.create('weather', { projectIds: ['proj_a', 'proj_c'] });
    await env.create('search', { projectIds: ['proj_s'] });
    await env.waitForReady('weather');
    await env.waitForReady('search');
    const granted = new Map(env.openai.store.permissions(CKPT).map((p) => [p.projectId, p.id]));
    const file = await manifest(
      'weather.yaml',
      share('weather', { checkpoint: CKPT, projectIds: ['proj_a'] }),
    );

    const lists = env.openai.counts().list;
    const run = await plan(['-f', file, '--cluster'], { KUBECONFIG: env.kubeconfig });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(
      `- revoke  proj_c  ${granted.get('proj_c')}: recorded, no longer wanted (ml/weather)`,
    );
    // The live share that no manifest names keeps what it wants.
    expect(run.stdout).toContain('= keep    proj_s  wanted, already granted (ml/search)');
    expect(run.stdout).toContain('= keep    proj_a  wanted, already granted (ml/weather)');
    // Without --cluster the same manifest knows no records, so it would revoke nothing.
    const blind = await plan(['-f', file]);
    expect(blind.code).toBe(0);
    expect(env.openai.counts().list).toBeGreaterThan(lists);
    expect(env.granted()).toEqual(['proj_a', 'proj_c', 'proj_s']);
  });

  it.each([
    {
      reason: 'no key',
      env: { OPENAI_ADMIN_KEY: '' },
      args: ['-f', 'x.yaml'],
      says: 'OPENAI_ADMIN_KEY is required',
    },
    { reason: 'no manifests', env: {}, args: [], says: 'no manifests: give -f PATH' },
    {
      reason: 'a file that is not there',
      env: {},
      args: ['-f', 'missing.yaml'],
      says: 'missing.yaml: cannot read: no such file or folder',
    },
    {
      reason: 'a wrong output',
      env: {},
      args: ['-f', '-', '-o', 'yaml'],
      says: '--output must be table or json',
    },
  ])('exits 1 with one clear line on $reason', async ({ env: extra, args, says }) => {
    env = await Env.start();
    dir = await mkdtemp(join(tmpdir(), 'cps-plan-'));
    const run = await plan(args, extra);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(says);
    expect(run.stdout).toBe('');
  });

  it('names the bad YAML by file and line', async () => {
    env = await Env.start();
    dir = await mkdtemp(join(tmpdir(), 'cps-plan-'));
    const file = await manifest(
      'broken.yaml',
      share('ok', { checkpoint: CKPT, projectIds: [] }),
      'spec: [unclosed\n',
    );
    const run = await plan(['-f', file]);
    expect(run.code).toBe(1);
    // The error's own line: the unclosed sequence runs to the end of the file.
    expect(run.stderr).toMatch(new RegExp(`^${file}:[67]: `));
  });
});
