/**
 * `node test/bench/scale/run-ts.ts <module.ts> [args...]`: runs one TypeScript module of the
 * benchmark (and whatever it imports, the stand-ins' sources included) through Vite's module
 * runner, the TypeScript loader vitest itself uses. Node runs this file as it is (type
 * stripping), so it imports nothing of the project's own. The module does its work at its top
 * level; this process ends when it does.
 */
import { resolve } from 'node:path';
import { runnerImport } from 'vite';

const [module, ...rest] = process.argv.slice(2);
if (module === undefined) {
  console.error('usage: node test/bench/scale/run-ts.ts <module.ts> [args...]');
  process.exit(2);
}
process.argv = [process.argv[0] ?? 'node', resolve(module), ...rest];
await runnerImport(resolve(module), { logLevel: 'silent' });
