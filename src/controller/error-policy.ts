import { ConditionReason, EventReason } from '../api/constants.js';
import { describeKubeError, kubeStatus } from '../kube/client.js';
import { redactSecrets } from '../observability/logger.js';
import { TerminalError, TransientError } from '../openai/errors.js';
import { describeFailure, explain } from '../openai/explain.js';
import type { PassError } from '../reconcile/status.js';

/** What the controller does about a failed pass: the one place errors become behaviour. */
export interface ErrorDecision extends PassError {
  /** Wait at least this long before the next attempt (the server's retry-after). */
  minDelayMs: number;
  /**
   * Transient failures back off per checkpoint; terminal ones wait for the slow recheck; a
   * replica that is no longer leader drops the work (the new leader has its own queue).
   */
  backoff: 'exponential' | 'recheck' | 'none';
  /** Retried without touching conditions (a write conflict is routine, not news). */
  quiet: boolean;
  /** Warning event when the object newly enters this state. */
  event: EventReason | undefined;
}

/** Thrown before a write when this replica cannot be sure it still holds the lease. */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
}

export function decide(error: unknown): ErrorDecision {
  if (error instanceof NotLeaderError) {
    return {
      transient: true,
      reason: 'NotLeader',
      message: error.message,
      why: error.message,
      fix: 'the leader does the work',
      minDelayMs: 0,
      backoff: 'none',
      event: undefined,
      quiet: true,
    };
  }
  if (error instanceof TransientError) {
    return {
      transient: true,
      reason: ConditionReason.Retrying,
      message: describeFailure(error),
      ...explain(error),
      minDelayMs: error.retryAfterMs ?? 0,
      backoff: 'exponential',
      event: undefined,
      quiet: false,
    };
  }
  if (error instanceof TerminalError) {
    const described = { message: describeFailure(error), ...explain(error) };
    switch (error.reason) {
      case 'Unauthorized':
        return terminal(ConditionReason.Unauthorized, described, EventReason.Unauthorized);
      case 'Forbidden':
        return terminal(ConditionReason.Forbidden, described, EventReason.Unauthorized);
      case 'CheckpointNotFound':
        return terminal(ConditionReason.CheckpointNotFound, described, EventReason.CheckpointNotFound);
      case 'InvalidProject':
      case 'OwningProject':
        return terminal(error.reason, described, EventReason.GrantFailed);
      case 'BadResponse':
        // A malformed answer is most likely a proxy or outage page: retry with backoff, visibly.
        return {
          transient: true,
          reason: ConditionReason.BadResponse,
          ...described,
          minDelayMs: 0,
          backoff: 'exponential',
          event: undefined,
          quiet: false,
        };
    }
  }
  const status = kubeStatus(error);
  if (status === 409) {
    return {
      transient: true,
      reason: 'Conflict',
      message: 'the object changed during the pass; reconciling again on fresh data',
      why: 'the object changed during the pass',
      fix: 'reconciling again on fresh data',
      minDelayMs: 0,
      backoff: 'exponential',
      event: undefined,
      quiet: true,
    };
  }
  const why = redactSecrets(
    status === undefined && !(error instanceof Error) ? String(error) : describeKubeError(error),
  );
  return {
    transient: true,
    reason: ConditionReason.Retrying,
    message: `Reconcile failed: ${why}; retrying with backoff`,
    why,
    fix: 'retrying with backoff',
    minDelayMs: 0,
    backoff: 'exponential',
    event: undefined,
    quiet: false,
  };
}

function terminal(
  reason: string,
  described: Pick<PassError, 'message' | 'why' | 'fix'>,
  event: EventReason,
): ErrorDecision {
  return { transient: false, reason, ...described, minDelayMs: 0, backoff: 'recheck', event, quiet: false };
}
