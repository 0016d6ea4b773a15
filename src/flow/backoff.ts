/**
 * Exponential backoff with jitter, the one formula behind every retry in the operator: the
 * OpenAI client's in-call retries, the work queue's per-checkpoint requeues and the informer's
 * relists. Each keeps its own numbers; only the shape is shared.
 */
export interface BackoffSteps {
  /** The delay after the first failure, before jitter. */
  baseMs: number;
  /** No step grows past this, before jitter. */
  maxMs: number;
  /**
   * Jitter as fractions of the step: the delay is drawn from [step × (1 - below), step × (1 +
   * above)], so callers that failed together do not retry together.
   */
  jitter: { below: number; above: number };
}

/** The delay after `failures` failures in a row (1 for the first), rounded to whole ms. */
export function backoffDelay(
  failures: number,
  steps: BackoffSteps,
  random: () => number = Math.random,
): number {
  const step = Math.min(steps.maxMs, steps.baseMs * 2 ** Math.max(0, failures - 1));
  const { below, above } = steps.jitter;
  return Math.round(step * (1 - below + (below + above) * random()));
}
