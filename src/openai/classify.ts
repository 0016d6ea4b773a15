import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { redactSecrets } from '../observability/logger.js';
import {
  type ErrorContext,
  OpenAIPermissionError,
  TerminalError,
  type TerminalReason,
  TransientError,
} from './errors.js';
import { BodyShapeError } from './response-body.js';
import { parseRetryAfter } from './retry-after.js';

const PROJECT_ID = /\bproj_[A-Za-z0-9]+/;
const OWNING_PROJECT = /owning project/i;
const MAX_DETAIL = 300;

/** Statuses that say "not now" rather than "never": the request may succeed if sent again. */
function isTransientStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * OpenAI's own message when the body was its JSON error, else the raw text: a gateway's HTML
 * page is reduced to its words so a condition message stays readable.
 */
function detailOf(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  const text =
    typeof body?.message === 'string'
      ? body.message
      : error.message
          .replace(/^\d{3}\s+/, '')
          .replace(/^status code \(no body\)$/, 'no body')
          .replace(/<[^>]*>/g, ' ')
          .replace(/\s+/g, ' ')
          .trim();
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text;
}

/** The log line's form: operation, checkpoint, status and detail. Conditions use ./explain.ts. */
function headline(context: ErrorContext, detail: string): string {
  const status = context.status === undefined ? '' : `${context.status} `;
  const what =
    context.operation === 'audit_log'
      ? 'OpenAI audit log read'
      : `OpenAI ${context.operation} on ${context.checkpoint}`;
  return `${what}: ${status}${detail}`;
}

function terminal(
  detail: string,
  context: ErrorContext,
  reason: TerminalReason,
  projectId?: string,
): TerminalError {
  return new TerminalError(redactSecrets(headline(context, detail)), {
    ...context,
    detail: redactSecrets(detail),
    reason,
    ...(projectId === undefined ? {} : { projectId }),
  });
}

function transient(detail: string, context: ErrorContext, retryAfterMs?: number): TransientError {
  return new TransientError(redactSecrets(headline(context, detail)), {
    ...context,
    detail: redactSecrets(detail),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

function fromStatus(
  error: APIError,
  status: number,
  context: ErrorContext,
  now: number,
): OpenAIPermissionError {
  const detail = detailOf(error);
  if (isTransientStatus(status)) {
    // A 5xx stays transient whatever its body (an HTML 502 page from a load balancer included):
    // the status already says the failure was upstream and momentary, and nothing was read as
    // a success. BadResponse is kept for 2xx answers whose body breaks the contract.
    return transient(detail, context, parseRetryAfter(error.headers, now));
  }
  switch (status) {
    case 401:
      return terminal(detail, context, 'Unauthorized');
    case 403:
      return terminal(detail, context, 'Forbidden');
    case 404:
      // Only OpenAI's own error body proves the checkpoint is gone: a proxy's HTML 404 or a
      // wrong base URL must not release finalizers as if there were nothing left to revoke.
      return hasOpenAIErrorBody(error)
        ? terminal(detail, context, 'CheckpointNotFound')
        : terminal(`not an OpenAI error body: ${detail}`, context, 'BadResponse');
    case 400:
      if (context.operation === 'grant') {
        const projectId = PROJECT_ID.exec(detail)?.[0];
        return terminal(
          detail,
          context,
          OWNING_PROJECT.test(detail) ? 'OwningProject' : 'InvalidProject',
          projectId,
        );
      }
      // A 400 on list or delete means the operator sent something the API does not accept: no
      // project is to blame and resending it cannot help, so it needs a human like a bad answer.
      return terminal(detail, context, 'BadResponse');
    default:
      return terminal(detail, context, 'BadResponse');
  }
}

/** An exchange that ran past its own deadline; the deadline covers the whole response body. */
export function timedOut(context: ErrorContext, afterMs: number): TransientError {
  const seconds = Math.round(afterMs / 100) / 10;
  // Headers may have arrived (a 200) before the body stalled: the answer is the timeout, not that status.
  const { status: _headersStatus, ...unanswered } = context;
  return transient(`request timed out after ${seconds}s`, unanswered);
}

/** A request not sent: OpenAI told the organisation to wait this long, on another request. */
export function paused(context: ErrorContext, leftMs: number): TransientError {
  return transient(
    `not sent, OpenAI asked the organisation to wait ${Math.ceil(leftMs / 1000)}s more`,
    context,
    leftMs,
  );
}

/**
 * An exchange its caller gave up on: the pass ran out of time or the process is stopping. What
 * was sent may still take effect, as with any timeout: a create is never resent blindly.
 */
export function abandoned(context: ErrorContext, reason: unknown): TransientError {
  return transient(
    `request abandoned: ${reason instanceof Error ? reason.message : String(reason)}`,
    context,
  );
}

/**
 * Turns anything an OpenAI call can throw into one of the kinds of ./errors.ts, once, at the
 * client boundary. `context` carries the request id and status when the HTTP exchange itself
 * succeeded (a 2xx whose body was unusable). Messages are scrubbed of anything key-shaped.
 */
export function classifyError(
  error: unknown,
  context: ErrorContext,
  now: number = Date.now(),
): OpenAIPermissionError {
  if (error instanceof OpenAIPermissionError) return error;
  if (error instanceof APIConnectionTimeoutError) return transient('the request timed out', context);
  if (error instanceof APIUserAbortError) return transient('the request was aborted', context);
  if (error instanceof APIConnectionError)
    return transient(`the connection failed: ${error.message}`, context);
  if (error instanceof APIError) {
    const requestId = error.requestID ?? undefined;
    const withResponse: ErrorContext = {
      ...context,
      ...(requestId === undefined ? {} : { requestId }),
      ...(error.status === undefined ? {} : { status: error.status }),
    };
    if (error.status === undefined) return transient(`the request failed: ${error.message}`, withResponse);
    return fromStatus(error, error.status, withResponse, now);
  }
  if (error instanceof BodyShapeError) return terminal(error.message, context, 'BadResponse');
  if (error instanceof SyntaxError)
    return terminal(`response body is not JSON: ${error.message}`, context, 'BadResponse');
  // What is left is the network failing under the SDK (a body cut off mid-read, a socket error
  // surfaced late): worth another try, and the controller's backoff keeps it from looping hot.
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return transient(`the request failed: ${message}`, context);
}

function hasOpenAIErrorBody(error: APIError): boolean {
  const body: unknown = error.error;
  return (
    typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
  );
}
