import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  dockerIgnores,
  dockerignorePatterns,
  execForm,
  type Instruction,
  parseCopy,
  parseDockerfile,
  parseLabels,
  type Stage,
} from '../support/deploy-dockerfile.js';
import {
  only,
  packageJson,
  REPO_ROOT,
  readRepoFile,
  renderKustomization,
} from '../support/deploy-manifests.js';

const pkg = packageJson();
const dockerfile = parseDockerfile(readRepoFile('Dockerfile'));
const ignored = dockerignorePatterns(
  existsSync(join(REPO_ROOT, '.dockerignore')) ? readRepoFile('.dockerignore') : '',
);
const [build, prodDeps, runtime] = dockerfile.stages;
if (!build || !prodDeps || !runtime || dockerfile.stages.length !== 3) {
  throw new Error('the Dockerfile should have three stages: build, production dependencies, runtime');
}
const deployment = only<V1Deployment>(renderKustomization(), 'Deployment');
const container = deployment.spec?.template.spec?.containers[0];

function all(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

function last(stage: Stage, keyword: string): string | undefined {
  return all(stage, keyword).at(-1)?.args;
}

const runs = (stage: Stage) => all(stage, 'RUN').map((i) => i.args);
const workdir = (stage: Stage) => last(stage, 'WORKDIR') ?? '/';
const copies = dockerfile.stages.flatMap((stage) =>
  all(stage, 'COPY').map((i) => ({ stage, ...parseCopy(i.args) })),
);
const contextSources = copies.filter((c) => c.from === undefined).flatMap((c) => c.sources);
const runtimeLabels = Object.assign({}, ...all(runtime, 'LABEL').map((i) => parseLabels(i.args))) as Record<
  string,
  string
>;
const versionArg = /^VERSION=(\S+)$/.exec(last(runtime, 'ARG') ?? '')?.[1];
const nodeMajor = pkg.devDependencies.node?.split('.')[0];

describe('Dockerfile: stages and base images', () => {
  it.each([
    {
      reason: 'the build stage uses the exact Node.js the project pins as a devDependency',
      actual: build.image,
      expected: `node:${pkg.devDependencies.node}-bookworm-slim`,
    },
    {
      reason: 'the production-dependency stage uses the same image as the build',
      actual: prodDeps.image,
      expected: build.image,
    },
    {
      reason: 'the runtime is distroless Node.js of the pinned major version, as the nonroot variant',
      actual: runtime.image.replace(/@sha256:[0-9a-f]{64}$/, ''),
      expected: `gcr.io/distroless/nodejs${nodeMajor}-debian12:nonroot`,
    },
    {
      reason: 'stages are named',
      actual: [build.name, prodDeps.name, runtime.name],
      expected: ['build', 'prod-deps', undefined],
    },
  ])('$reason', ({ actual, expected }) => {
    expect(actual).toEqual(expected);
  });

  it('pins every base image: an exact version tag (or a digest), never latest or a floating major', () => {
    for (const stage of dockerfile.stages) {
      expect(stage.image, stage.image).not.toMatch(/:latest$/);
      expect(stage.image, stage.image).toMatch(
        /(:\d+\.\d+\.\d+-[a-z0-9-]+$)|(@sha256:[0-9a-f]{64}$)|(\/distroless\/[a-z0-9-]+:nonroot$)/,
      );
    }
  });

  it('installs every dependency and compiles in the build stage, with the package build script', () => {
    expect(runs(build)).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
    // tsc, then deploy/bundle.mjs: `run` in one file, without the dependency code it never reaches.
    expect(pkg.scripts.build).toBe('tsc -p tsconfig.build.json && node deploy/bundle.mjs');
  });

  it('installs production dependencies only, running no install script, in their own stage', () => {
    expect(runs(prodDeps)).toEqual(['npm ci --omit=dev --ignore-scripts --no-audit --no-fund']);
  });

  it('has no RUN in the runtime stage: distroless has no shell', () => {
    expect(runs(runtime)).toEqual([]);
  });
});

describe('Dockerfile: the runtime image', () => {
  it('runs as the numeric non-root distroless user, the one the Deployment asks for', () => {
    expect(last(runtime, 'USER')).toBe('65532:65532');
    expect(deployment.spec?.template.spec?.securityContext?.runAsUser).toBe(65532);
  });

  it("starts the package's bin with distroless node, the controller by default", () => {
    const bin = pkg.bin['checkpoint-share'] ?? '';
    expect(execForm(last(runtime, 'ENTRYPOINT') ?? '')).toEqual([
      '/nodejs/bin/node',
      posix.join(workdir(runtime), bin),
    ]);
    expect(execForm(last(runtime, 'CMD') ?? '')).toEqual(['run']);
    expect(container?.command).toBeUndefined();
    expect(container?.args).toEqual(['run']);
  });

  it('sets NODE_ENV=production and exposes the probes and metrics port', () => {
    expect(all(runtime, 'ENV').map((i) => i.args)).toEqual(['NODE_ENV=production']);
    expect(last(runtime, 'EXPOSE')).toBe(String(container?.ports?.[0]?.containerPort));
  });

  it.each([
    { reason: 'title', key: 'org.opencontainers.image.title', expected: pkg.name },
    {
      reason: 'licenses, from package.json',
      key: 'org.opencontainers.image.licenses',
      expected: pkg.license,
    },
    {
      reason: 'version, from the VERSION build arg',
      key: 'org.opencontainers.image.version',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile build-arg reference, not a template
      expected: '${VERSION}',
    },
  ])('labels the image with its OCI $reason', ({ key, expected }) => {
    expect(runtimeLabels[key]).toBe(expected);
  });

  it('labels the image with a description and its source', () => {
    expect(runtimeLabels['org.opencontainers.image.description']).toMatch(/\w/);
    expect(runtimeLabels['org.opencontainers.image.source']).toMatch(/^https:\/\//);
  });

  it('defaults VERSION to the package version', () => {
    expect(versionArg).toBe(pkg.version);
  });

  it("holds dist/, package.json, crds/ (validate's schema) and prod-deps' node_modules: the operator alone", () => {
    const placed = copies
      .filter((c) => c.stage === runtime)
      .map((c) => ({
        from: c.from,
        sources: c.sources,
        destination: posix.join(workdir(runtime), c.destination),
      }));
    expect(placed).toEqual([
      { from: undefined, sources: ['package.json'], destination: '/app/' },
      { from: undefined, sources: ['crds'], destination: '/app/crds' },
      { from: 'prod-deps', sources: [`${workdir(prodDeps)}/node_modules`], destination: '/app/node_modules' },
      { from: 'build', sources: [`${workdir(build)}/dist`], destination: '/app/dist' },
    ]);
  });

  it('builds from src/ alone: no stage copies the stand-ins (packages/) from the context', () => {
    expect(contextSources.filter((source) => /^(\.\/)?packages(\/|$)/.test(source))).toEqual([]);
  });
});

describe('Dockerfile: what goes into the build context', () => {
  it('copies from the context only files that exist in the repository', () => {
    expect(contextSources.filter((source) => !existsSync(join(REPO_ROOT, source)))).toEqual([]);
  });

  it('never copies the whole context, node_modules, secrets or env files', () => {
    const forbidden = contextSources.filter((source) =>
      /^(\.|\.\/|\*)$|node_modules|secret|\.env|\.npmrc|\.pem$|\.key$|\.git/.test(source),
    );
    expect(forbidden).toEqual([]);
  });

  it('takes COPY --from only from an earlier stage', () => {
    for (const copy of copies.filter((c) => c.from !== undefined)) {
      const index = dockerfile.stages.findIndex((s) => s.name === copy.from);
      expect(index, `COPY --from=${copy.from}`).toBeGreaterThanOrEqual(0);
      expect(index).toBeLessThan(dockerfile.stages.indexOf(copy.stage));
    }
  });

  it.each([
    { reason: 'node_modules (installed inside the image instead)', path: 'node_modules' },
    { reason: 'a local build', path: 'dist' },
    { reason: 'git history', path: '.git' },
    { reason: 'env files', path: '.env' },
    { reason: 'a secrets folder', path: 'secrets' },
    { reason: 'secret manifests anywhere', path: 'deploy/examples/openai-admin-key.secret.yaml' },
    { reason: 'the stand-ins state', path: '.sandbox' },
    { reason: 'tests', path: 'test' },
    { reason: 'the dev-only stand-ins and their commands', path: 'packages/sandbox/src/kube-api/index.ts' },
  ])('.dockerignore keeps out $reason', ({ path }) => {
    expect(dockerIgnores(ignored, path)).toBe(true);
  });

  it('.dockerignore keeps in every COPY source', () => {
    expect(contextSources.filter((source) => dockerIgnores(ignored, source))).toEqual([]);
  });
});

describe('npm: install scripts in the image build', () => {
  const lock = JSON.parse(readRepoFile('package-lock.json')) as {
    packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }>;
  };
  const withScripts = Object.entries(lock.packages)
    .filter(([, entry]) => entry.hasInstallScript)
    .map(([path, entry]) => ({ name: path.replace(/^.*node_modules\//, ''), dev: entry.dev === true }));

  it('no production dependency has an install script, so --ignore-scripts loses nothing', () => {
    expect(withScripts.filter((p) => !p.dev)).toEqual([]);
  });

  it('every install script the build stage runs is approved in allowScripts', () => {
    expect(withScripts.filter((p) => pkg.allowScripts?.[p.name] !== true)).toEqual([]);
  });
});
