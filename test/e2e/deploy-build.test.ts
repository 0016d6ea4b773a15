import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCopy, parseDockerfile } from '../support/deploy-dockerfile.js';
import { packageJson, REPO_ROOT, readRepoFile } from '../support/deploy-manifests.js';
import { Env } from '../support/harness.js';
import { OperatorProcess } from '../support/operator-process.js';

/**
 * Replays the image build without Docker: the build stage's context files in an empty folder
 * (the files git tracks, as a fresh clone would hold them), the repository's installed
 * node_modules standing in for `npm ci`, then the stage's own `npm run build`. The prod-deps
 * stage's node_modules is the lock file's production entries. Then the runtime stage's COPY
 * instructions, replayed as written, give /app: the image's file list.
 */
const { stages } = parseDockerfile(readRepoFile('Dockerfile'));
const [buildStage, , runtimeStage] = stages;
const copiesOf = (stage: typeof buildStage) =>
  (stage?.instructions ?? []).filter((i) => i.keyword === 'COPY').map((i) => parseCopy(i.args));
const buildSources = copiesOf(buildStage).flatMap((c) => c.sources);
const buildRuns = (buildStage?.instructions ?? []).filter((i) => i.keyword === 'RUN').map((i) => i.args);
const bin = posix.relative('dist', packageJson().bin['checkpoint-share'] ?? '');

let root = '';
let appDir = '';
let build: { status: number | null; output: string } = { status: null, output: '' };

/** Context files as a fresh clone holds them: what git tracks under the given sources. */
function copyTracked(sources: readonly string[], into: string): void {
  const tracked = execFileSync('git', ['ls-files', '-z', '--', ...sources], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((path) => path !== '' && existsSync(join(REPO_ROOT, path)));
  for (const path of tracked) {
    mkdirSync(dirname(join(into, path)), { recursive: true });
    cpSync(join(REPO_ROOT, path), join(into, path));
  }
}

/**
 * `npm ci --omit=dev`: the lock file's non-dev packages. The workspace link (the stand-ins) is
 * left out as npm leaves it out: the context has no packages/ and the link is a devDependency.
 */
function prodDeps(into: string): void {
  const lock = JSON.parse(readRepoFile('package-lock.json')) as {
    packages: Record<string, { dev?: boolean; link?: boolean }>;
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    // Nested node_modules come with their parent package.
    if (!/^node_modules\/(@[^/]+\/)?[^/]+$/.test(path) || entry.dev || entry.link) continue;
    mkdirSync(dirname(join(into, path)), { recursive: true });
    symlinkSync(join(REPO_ROOT, path), join(into, path), 'dir');
  }
}

/** Every file under dir, following the node_modules symlinks, as paths relative to dir. */
function files(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix)).flatMap((name) => {
    const path = prefix ? `${prefix}/${name}` : name;
    return statSync(join(dir, path)).isDirectory() ? files(dir, path) : [path];
  });
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'checkpoint-share-image-'));
  const stageDirs: Record<string, string> = {
    build: join(root, 'build'),
    'prod-deps': join(root, 'prod-deps'),
  };
  const buildDir = stageDirs.build ?? '';
  mkdirSync(buildDir);
  copyTracked(buildSources, buildDir);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(buildDir, 'node_modules'), 'dir');
  const result = spawnSync('npm', ['run', 'build'], { cwd: buildDir, encoding: 'utf8' });
  build = {
    status: result.status,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}`,
  };
  prodDeps(stageDirs['prod-deps'] ?? '');

  appDir = join(root, 'app');
  mkdirSync(appDir);
  for (const copy of copiesOf(runtimeStage)) {
    const destination = join(appDir, posix.relative('/app', posix.resolve('/app', copy.destination)));
    if (copy.from === undefined) {
      copyTracked(copy.sources, appDir);
      continue;
    }
    const stageDir = stageDirs[copy.from] ?? '';
    for (const source of copy.sources) {
      // Sources are absolute paths in the stage (/build/dist): the stage's folder stands for /build.
      cpSync(join(stageDir, posix.relative('/build', source)), destination, { recursive: true });
    }
  }
}, 180_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the build the Dockerfile runs', () => {
  it('is `npm run build` after `npm ci`, on the files the build stage copies', () => {
    expect(buildRuns.at(-1)).toBe('npm run build');
    expect(bin).toBe('main.js');
    expect(buildSources).toEqual(
      expect.arrayContaining([
        'package.json',
        'package-lock.json',
        'tsconfig.json',
        'tsconfig.build.json',
        'src',
      ]),
    );
  });

  it('compiles with only those files in the context', () => {
    expect(build.output).not.toMatch(/error TS\d+/);
    expect(build.status).toBe(0);
  });

  it("emits the package's bin, the image's ENTRYPOINT", () => {
    expect(existsSync(join(appDir, 'dist', bin))).toBe(true);
  });

  it('bundles `run` without the Kubernetes API groups it never calls (deploy/bundle.mjs)', () => {
    const main = readFileSync(join(appDir, 'dist', bin), 'utf8');
    expect(main).toContain('ObservableCustomObjectsApi');
    expect(main).toContain('ObservableCoordinationV1Api');
    expect(main).not.toContain('ObservableAdmissionregistrationV1Api');
    expect(main).not.toContain('ObservableAppsV1Api');
    expect(main.length).toBeLessThan(6_000_000);
  });
});

describe("the image's files", () => {
  it('are the operator alone, with crds/ for validate: no stand-in code, no sandbox or demo command', () => {
    const listed = files(appDir);
    expect(listed).toEqual(
      expect.arrayContaining([
        'package.json',
        `dist/${bin}`,
        'dist/cli/run.js',
        'node_modules/@kubernetes/client-node/package.json',
        'crds/checkpointshare.io_checkpointshares.yaml',
      ]),
    );
    const standInish = listed.filter(
      (path) =>
        /^(packages|examples)\//.test(path) ||
        path.startsWith('node_modules/@checkpoint-share/') ||
        /^dist\/(.*\/)?(sandbox|kube-api|openai-api|demo|crd)(\/|\.js)/.test(path),
    );
    expect(standInish).toEqual([]);
    const mentions = listed
      .filter((path) => path.startsWith('dist/') && path.endsWith('.js'))
      .filter((path) =>
        /startKubeStandIn|startOpenAIStandIn|_sandbox\//.test(readFileSync(join(appDir, path), 'utf8')),
      );
    expect(mentions).toEqual([]);
  });

  it('validate checks manifests from them, against the crds/ they carry', async () => {
    const run = spawnSync(
      process.execPath,
      [
        '--preserve-symlinks',
        '--preserve-symlinks-main',
        join(appDir, 'dist', bin),
        'validate',
        '-f',
        join(REPO_ROOT, 'examples/invalid/interval-too-short.yaml'),
      ],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
      },
    );
    expect(run.stdout).toContain('spec.interval: Invalid value: "5s": must be at least 30s');
    expect(run.status).toBe(1);
  });

  it('run starts from them, with only production dependencies, and stops cleanly', async () => {
    const env = await Env.start();
    try {
      const operator = new OperatorProcess(
        ['run'],
        {
          KUBECONFIG: env.kubeconfig,
          OPENAI_BASE_URL: env.openai.baseURL,
          OPENAI_ADMIN_KEY: env.openai.adminKey,
          LEADER_ELECTION: 'false',
          HTTP_PORT: '0',
        },
        // Resolve modules through /app/node_modules as laid out, not through the symlinks' targets.
        { main: join(appDir, 'dist', bin), nodeArgs: ['--preserve-symlinks', '--preserve-symlinks-main'] },
      );
      try {
        await operator
          .waitForLog('cache synced', (line) => line.msg === 'cache synced', 60_000)
          .catch((error: unknown) => {
            throw new Error(`${String(error)}\n${[...operator.stdout, ...operator.stderr].join('\n')}`);
          });
      } finally {
        await operator.stop();
      }
      expect((await operator.exited).code, operator.stderr.join('\n')).toBe(0);
    } finally {
      await env.close();
    }
  });
});
