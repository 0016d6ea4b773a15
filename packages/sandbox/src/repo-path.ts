import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A path in the repository (crds/, examples/, the operator's dist/), found by walking up from
 * this file to the folder that holds crds/: the same answer from src/ and from dist/, whose
 * nesting differs (dist/ mirrors the repository so the operator's src/schema compiles in).
 */
export function repoPath(...segments: string[]): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'crds', 'kustomization.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no crds/ above ${import.meta.dirname}: run from the repository`);
    dir = parent;
  }
  return join(dir, ...segments);
}
