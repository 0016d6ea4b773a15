import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where test/cluster/build.sh puts kube-apiserver, etcd and kubectl (ignored by git). */
export const BIN_DIR = fileURLToPath(new URL('./bin/', import.meta.url));
const BUILD = fileURLToPath(new URL('./build.sh', import.meta.url));
export const BINARIES = ['kube-apiserver', 'etcd', 'kubectl'] as const;

export function binary(name: string): string {
  return join(BIN_DIR, name);
}

/**
 * Builds the binaries with Go unless they are already newer than the Go module (build.sh
 * decides): a missing Go toolchain fails here, with build.sh's message, before any test runs.
 */
export function ensureBinaries(): void {
  execFileSync('bash', [BUILD], { stdio: 'inherit' });
  const missing = BINARIES.filter((name) => !existsSync(binary(name)));
  if (missing.length > 0) throw new Error(`${BUILD} did not produce ${missing.join(', ')} in ${BIN_DIR}`);
}
