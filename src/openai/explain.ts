import type { OpenAIPermissionError, Operation } from './errors.js';
import { TerminalError } from './errors.js';

/**
 * What a failure means to the person reading `kubectl describe`: why it happened and what to do,
 * one clause each. Conditions, events and status.failures are built from these, so each says
 * what failed once and never repeats the classifier's prefix. The parts quote only the error's
 * detail, which the classifier has already scrubbed of anything key-shaped.
 */
export interface Explanation {
  why: string;
  fix: string;
}

const RETRYING = 'retrying with backoff';

const WHAT: Record<Operation, string> = {
  list: 'Cannot list permissions',
  grant: 'Cannot grant permissions',
  revoke: 'Cannot revoke a permission',
  audit_log: "Cannot read the organization's audit log",
};

/** OpenAI's request id, for a support ticket about an answer that makes no sense or an outage. */
function request(error: OpenAIPermissionError): string {
  return error.requestId === undefined ? '' : `, request ${error.requestId}`;
}

function answered(error: OpenAIPermissionError): string {
  return error.status === undefined ? error.detail : `${error.status}: ${error.detail}`;
}

export const CHECKPOINT_NOT_FOUND: Explanation = {
  why: "OpenAI has no checkpoint by this name in the admin key's organization",
  fix: 'check spec.checkpoint',
};

export function explain(error: OpenAIPermissionError): Explanation {
  if (!(error instanceof TerminalError)) {
    if (error.status === 429) return { why: 'OpenAI is rate limiting the operator (429)', fix: RETRYING };
    if (error.status !== undefined)
      return { why: `OpenAI answered ${answered(error)}${request(error)}`, fix: RETRYING };
    return { why: error.detail, fix: RETRYING };
  }
  switch (error.reason) {
    case 'Unauthorized':
      return {
        why: 'OpenAI refused the admin key (401)',
        fix: "put a valid admin key in the operator's Secret and restart the operator",
      };
    case 'Forbidden':
      return {
        why: `OpenAI denied the admin key access (${answered(error)})`,
        fix: 'use an admin key of the organization that owns the checkpoint',
      };
    case 'CheckpointNotFound':
      return CHECKPOINT_NOT_FOUND;
    case 'OwningProject':
      return {
        why: 'it owns the checkpoint, and OpenAI does not let the owning project be modified',
        fix: 'remove it from spec.projectIds',
      };
    case 'InvalidProject':
      return {
        why: `OpenAI does not accept it as a project of this organization (${error.detail})`,
        fix: 'check the id in spec.projectIds',
      };
    case 'BadResponse':
      return {
        why: `OpenAI's answer could not be used (${answered(error)}${request(error)})`,
        fix: `${RETRYING} (if it persists, check OPENAI_BASE_URL and any proxy in between)`,
      };
  }
}

/** The whole message: what failed, why, and what to do. */
export function describeFailure(error: OpenAIPermissionError): string {
  const { why, fix } = explain(error);
  const what =
    error instanceof TerminalError && error.projectId !== undefined && error.operation === 'grant'
      ? `Cannot grant ${error.projectId}`
      : WHAT[error.operation];
  return `${what} on ${error.checkpoint}: ${why}; ${fix}`;
}
