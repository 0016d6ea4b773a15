import { isDeepStrictEqual } from 'node:util';
import { ConditionType } from '../api/constants.js';
import type { CheckpointShare, CheckpointShareStatus } from '../api/types.js';
import type { EventRecorder } from '../kube/events.js';
import type { ShareWriter } from '../kube/share-writer.js';
import type { Logger } from '../observability/logger.js';
import { findCondition } from './conditions.js';
import type { ErrorDecision } from './error-policy.js';
import { keyOf } from './share-facts.js';
import { settleError } from './status.js';

export interface FailureReportDeps {
  /** The controller's cache: the objects to report on, and what was written to them. */
  shares: { sharesOn(checkpoint: string): CheckpointShare[]; remember(share: CheckpointShare): void };
  writer: ShareWriter;
  events: EventRecorder;
  logger: Logger;
  now: () => Date;
  /** Throws when this replica may no longer write; called before every write. */
  fence: () => void;
}

/**
 * Conditions and events for a failed pass, written on every object the checkpoint's pass
 * worked for. Each write passes the leadership fence; failures here are logged, never thrown.
 * `signal` is not the pass's, which may be what ended the pass: each call has its own deadline.
 */
export async function reportFailure(
  deps: FailureReportDeps,
  checkpoint: string,
  decision: ErrorDecision,
  signal: AbortSignal | undefined,
): Promise<void> {
  const shares = deps.shares.sharesOn(checkpoint);
  const statuses = settleError(
    { checkpoint, shares, listed: undefined, retryFailed: false },
    decision,
    deps.now(),
  );
  for (const share of shares) {
    const status = statuses.get(keyOf(share));
    if (!status) continue;
    const before = findCondition(share.status?.conditions, ConditionType.Stalled);
    // A new message counts as news too: a stalled object that is then deleted now waits.
    const entering =
      !decision.transient &&
      (before?.status !== 'True' ||
        before.reason !== decision.reason ||
        before.message !== readyMessage(status));
    try {
      if (!isDeepStrictEqual(share.status, status)) {
        deps.fence();
        deps.shares.remember(await deps.writer.writeStatus(share, status, signal));
      }
      if (entering && decision.event) {
        deps.fence();
        // The object's own condition message: a deleting object's says its deletion waits.
        await deps.events.record(share, decision.event, readyMessage(status) ?? decision.message, signal);
      }
    } catch (error: unknown) {
      deps.logger.warn(
        { checkpoint, object: keyOf(share), error: error instanceof Error ? error.message : String(error) },
        'could not report failure',
      );
    }
  }
}

function readyMessage(status: CheckpointShareStatus): string | undefined {
  return findCondition(status.conditions, ConditionType.Ready)?.message;
}
