import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The end-to-end tests run the real binaries, so they build dist/ once before any of them: the
 * operator's, and the sandbox package's (whose demo runs the operator's).
 */
export function setup(): void {
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
  for (const project of ['tsconfig.build.json', 'packages/sandbox/tsconfig.build.json']) {
    execFileSync(process.execPath, [tsc, '-p', project], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      stdio: 'inherit',
    });
  }
}
