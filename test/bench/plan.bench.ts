import { expect, test } from 'vitest';
import type { CheckpointShare } from '../../src/api/types.js';
import type { Permission } from '../../src/openai/permissions.js';
import { plan } from '../../src/reconcile/plan.js';
import { settle } from '../../src/reconcile/status.js';
import { K, perm, share } from '../support/builders.js';

/**
 * How the pure core scales with a busy checkpoint. Prints figures (`npm run bench`); asserts
 * only that the converged case plans nothing, never a time.
 */
function busy(objects: number, perShare: number): { shares: CheckpointShare[]; listed: Permission[] } {
  const shares: CheckpointShare[] = [];
  for (let i = 0; i < objects; i++) {
    // Consecutive shares overlap by half their projects.
    const projects = Array.from({ length: perShare }, (_, j) => `proj_${(i * perShare) / 2 + j}`);
    shares.push(
      share(`s${i}`)
        .projects(...projects)
        .managing(...projects)
        .build(),
    );
  }
  const listed = [...new Set(shares.flatMap((s) => s.spec.projectIds))].map((p) => perm(p));
  return { shares, listed };
}

function measure(run: () => void): { perRunMs: number; runs: number } {
  run();
  let runs = 0;
  const start = performance.now();
  while (performance.now() - start < 500 || runs < 3) {
    run();
    runs += 1;
  }
  return { perRunMs: (performance.now() - start) / runs, runs };
}

test.each([
  { objects: 10, perShare: 10 },
  { objects: 100, perShare: 100 },
  { objects: 1000, perShare: 100 },
])('plan and settle: $objects shares x $perShare projects on one checkpoint', ({ objects, perShare }) => {
  const { shares, listed } = busy(objects, perShare);
  const view = { checkpoint: K, shares, listed, retryFailed: false };
  const converged = plan(view);
  expect(converged.grant).toEqual([]);
  expect(converged.revoke).toEqual([]);
  const planning = measure(() => plan(view));
  const settling = measure(() => settle({ view, grantFailures: new Map(), now: new Date() }));
  console.log(
    `${objects} shares x ${perShare} projects, ${listed.length} permissions: ` +
      `plan ${planning.perRunMs.toFixed(2)} ms, settle ${settling.perRunMs.toFixed(2)} ms per pass`,
  );
});
