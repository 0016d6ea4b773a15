/**
 * Error kinds for every OpenAI failure, decided once at the client boundary. The controller's
 * error policy maps each kind to a condition, an event and a backoff; nothing else looks at
 * HTTP details. Messages never contain the admin key.
 */

/** The checkpoint-permission calls, and the read of the organisation's audit log. */
export type Operation = 'list' | 'grant' | 'revoke' | 'audit_log';

export interface ErrorContext {
  operation: Operation;
  checkpoint: string;
  /** OpenAI's x-request-id, when the server sent one. */
  requestId?: string;
  /** HTTP status, when there was a response. */
  status?: number;
}

/** What a classifier knows beyond the request: what went wrong, in OpenAI's or the transport's words. */
interface ErrorFacts extends ErrorContext {
  /** Without the operation and checkpoint (the message has those); defaults to the message. */
  detail?: string;
}

export abstract class OpenAIPermissionError extends Error {
  abstract readonly transient: boolean;
  readonly operation: Operation;
  readonly checkpoint: string;
  readonly requestId: string | undefined;
  readonly status: number | undefined;
  /** What went wrong, without the prefix: what ./explain.ts quotes in conditions and events. */
  readonly detail: string;

  constructor(message: string, context: ErrorFacts) {
    super(message);
    this.detail = context.detail ?? message;
    this.name = new.target.name;
    this.operation = context.operation;
    this.checkpoint = context.checkpoint;
    this.requestId = context.requestId;
    this.status = context.status;
  }
}

/** 429, 408, 409, 5xx, connection reset, timeout: worth retrying, after retryAfterMs if set. */
export class TransientError extends OpenAIPermissionError {
  readonly transient = true;
  /** The server's requested delay (retry-after-ms or retry-after), however long. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, context: ErrorFacts & { retryAfterMs?: number }) {
    super(message, context);
    this.retryAfterMs = context.retryAfterMs;
  }
}

export type TerminalReason =
  | 'Unauthorized'
  | 'Forbidden'
  | 'CheckpointNotFound'
  | 'InvalidProject'
  | 'OwningProject'
  | 'BadResponse';

/** Retrying will not help until a human changes something (key, checkpoint, project list). */
export class TerminalError extends OpenAIPermissionError {
  readonly transient = false;
  readonly reason: TerminalReason;
  /** The project the error is about, when OpenAI's message names one. */
  readonly projectId: string | undefined;

  constructor(message: string, context: ErrorFacts & { reason: TerminalReason; projectId?: string }) {
    super(message, context);
    this.reason = context.reason;
    this.projectId = context.projectId;
  }
}
