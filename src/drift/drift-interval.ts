/** Full lists while the log is followed are spread over the last quarter of their interval. */
const JITTER = 0.25;

export interface DriftIntervals {
  /** RESYNC_INTERVAL: the period when drift is found by listing. */
  listIntervalMs: number;
  /** AUDIT_RESYNC_INTERVAL: the safety-net period while the audit log is followed. */
  auditResyncIntervalMs: number;
}

/**
 * The drift-check period a pass schedules next, asked anew at the end of each pass: while the
 * audit log is followed, AUDIT_RESYNC_INTERVAL shortened by up to a quarter at random, so
 * checkpoints first listed together drift apart instead of listing in one burst every 6 hours.
 */
export function driftInterval(
  intervals: DriftIntervals,
  following: () => boolean,
  random: () => number = Math.random,
): () => number {
  return () =>
    following()
      ? Math.round(intervals.auditResyncIntervalMs * (1 - JITTER * random()))
      : intervals.listIntervalMs;
}
