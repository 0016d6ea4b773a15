import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../deploy/build-image.sh', import.meta.url));
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

let bin: string | undefined;
afterEach(() => {
  if (bin) rmSync(bin, { recursive: true, force: true });
  bin = undefined;
});

/**
 * Runs the script with a PATH holding only fake builders, each of which logs its arguments; a
 * fake docker's `info` fails unless its engine is "running".
 */
function buildWith(builders: { name: string; engine?: boolean }[], env: Record<string, string> = {}) {
  bin = mkdtempSync(join(tmpdir(), 'build-image-'));
  const log = join(bin, 'calls.log');
  for (const { name, engine = true } of builders) {
    const path = join(bin, name);
    writeFileSync(
      path,
      `#!/bin/bash\nif [[ $1 == info ]]; then exit ${engine ? 0 : 1}; fi\necho "${name} $*" >> ${log}\n`,
    );
    chmodSync(path, 0o755);
  }
  const run = spawnSync('/bin/bash', [SCRIPT], { env: { PATH: bin, ...env }, encoding: 'utf8' });
  let calls: string[] = [];
  try {
    calls = readFileSync(log, 'utf8').trim().split('\n');
  } catch {
    calls = [];
  }
  return { code: run.status, stdout: run.stdout, stderr: run.stderr, calls };
}

describe('npm run image (deploy/build-image.sh)', () => {
  it.each([
    {
      reason: 'docker with a running engine',
      builders: [{ name: 'docker' }, { name: 'podman' }],
      call: `docker build --tag checkpoint-share-operator:${VERSION} --file Dockerfile .`,
    },
    {
      reason: 'podman when docker has no engine',
      builders: [{ name: 'docker', engine: false }, { name: 'podman' }],
      call: `podman build --tag checkpoint-share-operator:${VERSION} --file Dockerfile .`,
    },
    {
      reason: 'buildah alone',
      builders: [{ name: 'buildah' }],
      call: `buildah bud --tag checkpoint-share-operator:${VERSION} --file Dockerfile .`,
    },
  ])('builds with $reason, tagged with package.json version', ({ builders, call }) => {
    const run = buildWith(builders);
    expect(run.code).toBe(0);
    expect(run.calls).toEqual([call]);
    expect(run.stdout).toContain('push it with');
  });

  it('tags the repository IMAGE names', () => {
    const run = buildWith([{ name: 'podman' }], { IMAGE: 'ghcr.io/acme/checkpoint-share-operator' });
    expect(run.calls).toEqual([
      `podman build --tag ghcr.io/acme/checkpoint-share-operator:${VERSION} --file Dockerfile .`,
    ]);
  });

  it('says plainly that no builder is present, and why docker does not count', () => {
    const run = buildWith([{ name: 'docker', engine: false }]);
    expect(run.code).toBe(1);
    expect(run.calls).toEqual([]);
    expect(run.stderr).toContain('no image builder here');
    expect(run.stderr).toContain('docker is installed but');
  });
});
