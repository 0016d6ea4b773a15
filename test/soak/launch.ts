/**
 * `npm run soak -- [--minutes N] [--seed S]`: runs test/soak/soak.test.ts through vitest (which
 * compiles the TypeScript it imports), outside `npm test`'s projects. Node runs this file as it
 * is (type stripping), so it imports nothing of the project's own.
 */
import { startVitest } from 'vitest/node';

const USAGE = 'usage: npm run soak -- [--minutes N] [--seed S]   (N minutes of churn, default 10)';

function options(args: readonly string[]): { minutes?: string; seed?: string } {
  const found: { minutes?: string; seed?: string } = {};
  for (let i = 0; i < args.length; i += 1) {
    const [flag, inline] = (args[i] ?? '').split('=', 2);
    if (flag !== '--minutes' && flag !== '--seed') throw new Error(`unknown argument ${args[i]}`);
    let value = inline;
    if (value === undefined) {
      i += 1;
      value = args[i];
    }
    if (value === undefined || !(Number(value) > 0)) throw new Error(`${flag} needs a positive number`);
    found[flag === '--minutes' ? 'minutes' : 'seed'] = value;
  }
  return found;
}

try {
  const { minutes, seed } = options(process.argv.slice(2));
  if (minutes !== undefined) process.env.SOAK_MINUTES = minutes;
  if (seed !== undefined) process.env.SOAK_SEED = seed;
} catch (error: unknown) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exit(2);
}

// No config file: the repository's vitest.config.ts defines npm test's projects, which leave
// test/soak out; the soak test sets its own timeout.
await startVitest(['test/soak/soak.test.ts'], { config: false, watch: false, silent: false });
