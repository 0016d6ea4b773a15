import { ConditionReason, EventReason } from '../api/constants.js';
import { describeKubeError, kubeStatus } from '../kube/client.js';
import { NotLeaderError } from '../kube/leader-election.js';
import { redactSecrets } from '../observability/logger.js';
import { OpenAIPermissionError, TerminalError, TransientError } from '../openai/errors.js';
import { describeFailure, explain } from '../openai/explain.js';
import type { PassError } from './status.js';

/** What a failed pass means: the one place errors become behaviour (kube-rs's error_policy). */
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
  /** Fields for the failure's log line. */
  log: Record<string, unknown>;
  /** Warning event when the object newly enters this state. */
  event: EventReason | undefined;
}

export function decide(error: unknown): ErrorDecision {
  const decision = classify(error);
  return {
    ...decision,
    log: {
      reason: decision.reason,
      error: decision.message,
      // OpenAI's own words (already scrubbed of anything key-shaped), for whoever debugs it.
      ...(error instanceof OpenAIPermissionError ? { openai: error.message } : {}),
    },
  };
}

type Classified = Omit<ErrorDecision, 'log'>;

function classify(error: unknown): Classified {
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
): Classified {
  return { transient: false, reason, ...described, minDelayMs: 0, backoff: 'recheck', event, quiet: false };
}
