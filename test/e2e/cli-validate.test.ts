import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { runCli } from '../support/cli-run.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** `checkpoint-share validate` as a pre-commit hook runs it: no cluster, no key, in the repository. */
function validate(args: string[], input = '') {
  return runCli(['validate', ...args], { input, cwd: REPO });
}

/** Each invalid example's first line names the field it breaks; the line of that field is where it is. */
const invalid = readdirSync(`${REPO}examples/invalid`)
  .filter((f) => f.endsWith('.yaml'))
  .map((file) => {
    const text = readFileSync(`${REPO}examples/invalid/${file}`, 'utf8');
    return { file: `examples/invalid/${file}`, field: /^# ([\w.[\]]+):/.exec(text)?.[1] ?? '' };
  });

const share = (name: string, spec: string) =>
  `apiVersion: checkpointshare.io/v1alpha1\nkind: CheckpointShare\nmetadata: {name: ${name}, namespace: ml}\nspec: ${spec}\n`;
const CKPT = 'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd';

describe('checkpoint-share validate', () => {
  it.concurrent('passes examples/ (not its invalid/ subfolder without -R) and exits 0', async ({
    expect,
  }) => {
    const run = await validate(['-f', 'examples/']);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^\d+ objects valid\n$/);
    expect(run.code).toBe(0);
  });

  it.concurrent('reports every invalid example with file, line and field, and exits 1', async ({
    expect,
  }) => {
    const run = await validate(['-f', 'examples/invalid/']);
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(invalid.length).toBeGreaterThanOrEqual(7);
    for (const { file, field } of invalid) {
      const reported = lines.find((l) => l.startsWith(`${file}:`));
      expect(reported, file).toMatch(
        new RegExp(
          `^${file}:\\d+: CheckpointShare ml-platform/[\\w-]+: ${field.replace(/[[\]]/g, '\\$&')}: `,
        ),
      );
      // The line is the field's own, not the document's first.
      const line = Number(reported?.split(':')[1]);
      const text = readFileSync(`${REPO}${file}`, 'utf8').split('\n')[line - 1] ?? '';
      const leaf =
        field
          .split('.')
          .at(-1)
          ?.replace(/\[\d+\]$/, '') ?? '';
      expect(
        text.includes(leaf) || /^\s*- /.test(text) || field === 'spec.checkpoint',
        `${file}:${line} "${text}"`,
      ).toBe(true);
    }
    expect(run.stderr).toMatch(/^\d+ errors in 7 objects\n$/);
  });

  it.concurrent('takes paths after the flags too, as a pre-commit hook appends them', async ({ expect }) => {
    const run = await validate(['examples/01-simple-share.yaml', 'examples/invalid/bad-mode.yaml']);
    expect(run.code).toBe(1);
    expect(run.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^examples\/invalid\/bad-mode.yaml:8: .*spec.mode: Unsupported value/),
    ]);
  });

  it.concurrent('speaks JSON for machines', async ({ expect }) => {
    const run = await validate(['-f', 'examples/invalid/interval-too-short.yaml', '-o', 'json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      objects: 1,
      valid: false,
      errors: [
        {
          file: 'examples/invalid/interval-too-short.yaml',
          document: 0,
          line: 8,
          object: 'CheckpointShare ml-platform/interval-too-short',
          field: 'spec.interval',
          message: `spec.interval: Invalid value: "5s": must be at least 30s, so one object cannot spend the organisation's OpenAI request budget`,
        },
      ],
    });
  });

  it.concurrent('checks the rules across objects on kustomize output piped in, skipping other kinds', async ({
    expect,
  }) => {
    const input = [
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n',
      'apiVersion: other.example.com/v1\nkind: CheckpointShare\nmetadata: {name: theirs}\nspec: {anything: 1}\n',
      share('locked', `{checkpoint: "${CKPT}", projectIds: [proj_a], mode: Authoritative}`),
      share('team', `{checkpoint: "${CKPT}", projectIds: [proj_a]}`),
      share('team', `{checkpoint: "${CKPT}", projectIds: [proj_b]}`),
      'apiVersion: checkpointshare.io/v1\nkind: CheckpointShare\nmetadata: {name: old, namespace: ml}\nspec: {checkpoint: ft-Abc1}\n',
    ].join('---\n');
    const run = await validate(['-f', '-'], input);
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^-:\d+: CheckpointShare ml\/old: apiVersion: Unsupported value: "checkpointshare.io\/v1"/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^-:\d+: CheckpointShare ml\/team: duplicate CheckpointShare ml\/team: also defined at -:\d+/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^-:\d+: CheckpointShare ml\/team: proj_a on .* is also wanted by ml\/locked, which is Authoritative/,
      ),
    );
  });

  it.concurrent('with --policy, reports what SHARE_POLICY=enforce would refuse, at the field it concerns', async ({
    expect,
  }) => {
    const teamA = (name: string, spec: string) =>
      `apiVersion: checkpointshare.io/v1alpha1\nkind: CheckpointShare\nmetadata: {name: ${name}, namespace: team-a}\nspec: ${spec}\n`;
    const A = 'ft:gpt-4o-mini-2024-07-18:acme:team-a-churn:Xy12';
    const input = [
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a, labels: {team: a}}\n',
      teamA('fine', `{checkpoint: "${A}", projectIds: [proj_teamA1, proj_shared01]}`),
      teamA('foreign-project', `{checkpoint: "${A}", projectIds: [proj_teamA1, proj_finance]}`),
      teamA('foreign-checkpoint', `{checkpoint: "${CKPT}", projectIds: [proj_teamA1]}`),
      teamA('authoritative', `{checkpoint: "${A}", projectIds: [proj_teamA9], mode: Authoritative}`),
      // The platform policy selects ml-platform by the name label every namespace carries.
      'apiVersion: checkpointshare.io/v1alpha1\nkind: CheckpointShare\nmetadata: {name: platform, namespace: ml-platform}\nspec: {checkpoint: "' +
        CKPT +
        '", projectIds: [proj_any1], mode: Authoritative}\n',
    ].join('---\n');
    const run = await validate(['-f', '-', '--policy', 'deploy/overlays/multi-tenant/policies/'], input);
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^-:\d+: CheckpointShare team-a\/foreign-project: PolicyDenied: project proj_finance is not allowed/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^-:\d+: CheckpointShare team-a\/foreign-checkpoint: PolicyDenied: no CheckpointSharePolicy lets namespace team-a share checkpoint/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^-:\d+: CheckpointShare team-a\/authoritative: PolicyDenied: mode Authoritative is not allowed/,
      ),
    );
    // Without --policy the same manifests are valid.
    expect((await validate(['-f', '-'], input)).code).toBe(0);
  });

  it.concurrent('names a file that is not there and YAML that does not parse', async ({ expect }) => {
    const missing = await validate(['-f', 'nowhere.yaml']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('nowhere.yaml:1: cannot read: no such file or folder');
    const broken = await validate(['-f', '-'], 'spec: [unclosed\n');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^-:\d+: /);
  });
});
