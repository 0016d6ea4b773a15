/** The soak's knobs, passed by test/soak/launch.ts through the environment. */

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

/** How long the churn lasts; `npm run soak -- --minutes N` sets it. */
export const SOAK_MINUTES = positive('SOAK_MINUTES', 10);
/** Seeds every random choice; printed at the start so a failing run can be repeated. */
export const SOAK_SEED = Math.floor(positive('SOAK_SEED', 1 + Math.floor(Math.random() * 2 ** 31)));
/** How long the operators get to reach the exact state once the churn and faults stop. */
export const SETTLE_DEADLINE_MS = 180_000;
/** Churn, settle, and room to start and stop the operators. */
export const SOAK_TIMEOUT_MS = SOAK_MINUTES * 60_000 + SETTLE_DEADLINE_MS + 180_000;
