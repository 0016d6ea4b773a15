import { expect, test } from 'vitest';
import { runDriftBench } from './drift-bench.js';
import { jsonLine, reportText } from './report.js';

/**
 * `npm run bench:drift`: the audit-log follower against list-based drift (see ./drift-bench.ts).
 * DRIFT_BENCH_CHECKPOINTS (2000), DRIFT_BENCH_SHARES (4000), DRIFT_BENCH_SEED (1),
 * DRIFT_BENCH_LAG_SECONDS (5) and DRIFT_BENCH_LATENCY_MS (100) change the run. Prints the
 * table and a `DRIFT_BENCH {...}` line; asserts only what the issue asks of the figures, never a wall time.
 */
function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} needs a number >= 0, got ${raw}`);
  return value;
}

test('audit-log follower against list-based drift, one simulated hour', async () => {
  const checkpoints = setting('DRIFT_BENCH_CHECKPOINTS', 2000);
  const figures = await runDriftBench({
    checkpoints,
    shares: setting('DRIFT_BENCH_SHARES', Math.max(checkpoints, 4000)),
    seed: setting('DRIFT_BENCH_SEED', 1),
    lagMs: setting('DRIFT_BENCH_LAG_SECONDS', 5) * 1000,
    latencyMs: setting('DRIFT_BENCH_LATENCY_MS', 100),
    progress: (line) => console.log(`  ${line}`),
  });
  console.log(`\n${reportText(figures)}\n`);
  console.log(`DRIFT_BENCH ${jsonLine(figures)}`);
  expect(figures.follower.mismatches).toEqual([]);
  expect(figures.listing.mismatches).toEqual([]);
  expect(figures.follower.repairs.every((r) => r.repairSeconds !== null)).toBe(true);
}, 900_000);
