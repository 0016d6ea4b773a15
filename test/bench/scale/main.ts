/**
 * `npm run bench:scale -- [--shares N] [--checkpoints M] [--seed S] [--idle-seconds T]
 * [--resync-interval D] [--node-options="--max-old-space-size=N ..."] [--profile DIR]
 * [--operator MAIN_JS] [--out FILE]`: the scale benchmark (see
 * ./scale-bench.ts). Prints the table and the figures, and writes the figures as JSON to FILE
 * (default scale-bench.json). Run through ./run-ts.ts, which loads the TypeScript.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { reportText } from './report.js';
import { runScaleBench } from './scale-bench.js';

const USAGE =
  'usage: npm run bench:scale -- [--shares N] [--checkpoints M] [--seed S] [--idle-seconds T] [--resync-interval 60s] [--node-options="--max-old-space-size=N ..."] [--profile DIR] [--operator dist/main.js] [--out FILE]';

function count(raw: string | undefined, flag: string, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`--${flag} needs a whole number >= ${min}, got ${raw}`);
  return value;
}

let options: Parameters<typeof runScaleBench>[0];
let out: string;
try {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      shares: { type: 'string' },
      checkpoints: { type: 'string' },
      seed: { type: 'string' },
      'idle-seconds': { type: 'string' },
      'resync-interval': { type: 'string' },
      'node-options': { type: 'string' },
      profile: { type: 'string' },
      operator: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const profile = values.profile === undefined ? undefined : resolve(values.profile);
  if (profile) mkdirSync(profile, { recursive: true });
  options = {
    shares: count(values.shares, 'shares', 10_000),
    checkpoints: count(values.checkpoints, 'checkpoints', 2_000),
    seed: count(values.seed, 'seed', 1),
    idleSeconds: count(values['idle-seconds'], 'idle-seconds', 60, 0),
    ...(values['resync-interval'] === undefined ? {} : { resyncInterval: values['resync-interval'] }),
    ...(values['node-options'] === undefined ? {} : { nodeOptions: values['node-options'] }),
    ...(profile === undefined ? {} : { profileDir: profile }),
    ...(values.operator === undefined ? {} : { operatorMain: resolve(values.operator) }),
    progress: (line) => console.log(`  ${line}`),
  };
  if (options.checkpoints > options.shares) throw new Error('--checkpoints cannot exceed --shares');
  out = resolve(values.out ?? 'scale-bench.json');
} catch (error: unknown) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exit(2);
}

const figures = await runScaleBench(options);
console.log(reportText(figures));
console.log(`SCALE_BENCH ${JSON.stringify(figures)}`);
writeFileSync(out, `${JSON.stringify(figures, null, 2)}\n`);
console.log(`figures written to ${out}`);
process.exitCode = figures.converged ? 0 : 1;
