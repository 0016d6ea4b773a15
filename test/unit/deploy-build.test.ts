import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRD_NAME } from '../../src/api/constants.js';
import { parseCopy, parseDockerfile } from '../support/deploy-dockerfile.js';
import { packageJson, REPO_ROOT, readRepoFile } from '../support/deploy-manifests.js';

/**
 * Replays the image build without Docker: the build stage's context files in an empty folder
 * (the files git tracks, as a fresh clone would hold them), the repository's installed
 * node_modules standing in for `npm ci`, then the stage's own `npm run build`. Then the runtime stage's layout (/app: package.json, crds/, node_modules/,
 * dist/) and a load of the CRD from dist/ as the controller does at start.
 */
const [buildStage] = parseDockerfile(readRepoFile('Dockerfile')).stages;
const buildSources = (buildStage?.instructions ?? [])
  .filter((i) => i.keyword === 'COPY')
  .flatMap((i) => parseCopy(i.args).sources);
const buildRuns = (buildStage?.instructions ?? []).filter((i) => i.keyword === 'RUN').map((i) => i.args);
const bin = posix.relative('dist', packageJson().bin['checkpoint-share'] ?? '');

let root = '';
let buildDir = '';
let appDir = '';
let build: { status: number | null; output: string } = { status: null, output: '' };

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'checkpoint-share-image-'));
  buildDir = join(root, 'build');
  appDir = join(root, 'app');
  mkdirSync(buildDir);
  const tracked = execFileSync('git', ['ls-files', '-z', '--', ...buildSources], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((path) => path !== '' && existsSync(join(REPO_ROOT, path)));
  for (const path of tracked) {
    mkdirSync(dirname(join(buildDir, path)), { recursive: true });
    cpSync(join(REPO_ROOT, path), join(buildDir, path));
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(buildDir, 'node_modules'), 'dir');
  const result = spawnSync('npm', ['run', 'build'], { cwd: buildDir, encoding: 'utf8' });
  build = {
    status: result.status,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}`,
  };

  mkdirSync(appDir);
  cpSync(join(REPO_ROOT, 'package.json'), join(appDir, 'package.json'));
  cpSync(join(REPO_ROOT, 'crds'), join(appDir, 'crds'), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(appDir, 'node_modules'), 'dir');
  if (existsSync(join(buildDir, 'dist'))) renameSync(join(buildDir, 'dist'), join(appDir, 'dist'));
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

  it.each([
    { reason: "the package's bin, the image's ENTRYPOINT", file: bin },
    { reason: 'the CRD loader, which finds crds/ relative to itself', file: 'api/crd.js' },
  ])('emits $file: $reason', ({ file }) => {
    expect(existsSync(join(appDir, 'dist', file))).toBe(true);
  });

  it('loads the CRD from crds/ beside dist/ in the runtime layout', () => {
    const crdModule = pathToFileURL(join(appDir, 'dist', 'api', 'crd.js')).href;
    const script = `import { loadCrd } from ${JSON.stringify(crdModule)};
process.stdout.write(loadCrd().metadata.name);`;
    const name = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: appDir,
      encoding: 'utf8',
    });
    expect(name).toBe(CRD_NAME);
  });
});
