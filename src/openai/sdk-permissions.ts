import { APIConnectionTimeoutError, APIError, type APIPromise, OpenAI } from 'openai';
import { callDeadline } from '../flow/call-deadline.js';
import type { Logger } from '../observability/logger.js';
import { type AuditLogApi, PERMISSION_EVENT_TYPES, type PermissionEvent } from './audit-log.js';
import { abandoned, classifyError, paused, timedOut } from './classify.js';
import {
  type ErrorContext,
  type OpenAIPermissionError,
  type Operation,
  TerminalError,
  TransientError,
} from './errors.js';
import { explain } from './explain.js';
import type { GrantFailure, GrantResult, Observation, Permission, PermissionsApi } from './permissions.js';
import type { RequestLimiter } from './rate-limiter.js';
import {
  BodyShapeError,
  decodeAuditPage,
  decodeDeleted,
  decodePermissionPage,
  type PageCursor,
} from './response-body.js';
import { DEFAULT_RETRY, type RetryOptions, retryIdempotent } from './retry.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
/** The largest page OpenAI serves; fewer pages means fewer requests against the rate limit. */
export const PAGE_SIZE = 100;

export interface SdkPermissionsApiOptions {
  /** e.g. https://api.openai.com/v1 */
  baseURL: string;
  /** An admin key (sk-admin-...); it is sent only in the Authorization header. */
  adminKey: string;
  /** Shared by every call of every worker, so the operator as a whole keeps to one rate. */
  rateLimiter: RequestLimiter;
  /**
   * Per HTTP exchange, from sending the request to the last byte of its body; default 30 s.
   * Waiting for the rate limiter does not count.
   */
  timeoutMs?: number;
  logger?: Logger;
  /** In-client retries of idempotent calls (list pages, deletes). */
  retry?: RetryOptions;
  /**
   * Called once per HTTP attempt with the status code, or 'timeout' (past timeoutMs), 'aborted'
   * (the caller's signal) or 'error' (no whole response came), and the time to the end of the
   * body: the hook the metrics layer counts requests with.
   */
  onRequest?: (operation: Operation, code: string, durationSeconds: number) => void;
}

type PermissionsResource = OpenAI['fineTuning']['checkpoints']['permissions'];
type AuditLogsResource = OpenAI['admin']['organization']['auditLogs'];
/** What an audit-log failure names instead of a checkpoint. */
const ORGANIZATION = 'the organization';
/** Sends one request carrying the exchange's signal, which the SDK keeps on the response body. */
type Send = (options: { signal: AbortSignal }) => APIPromise<unknown>;

/**
 * PermissionsApi over the official SDK. Each HTTP attempt takes a token from the shared rate
 * limiter, runs under one deadline that covers its response body, and is classified once by
 * ./classify.ts. A 429 (or 503) with a retry-after pauses the limiter for every checkpoint: the
 * organisation's limit is shared. The SDK's own retries are off: idempotent calls are retried
 * here (bounded, honouring retry-after), creates never.
 */
export class SdkPermissionsApi implements PermissionsApi, AuditLogApi {
  readonly #permissions: PermissionsResource;
  readonly #auditLogs: AuditLogsResource;
  readonly #limiter: RequestLimiter;
  readonly #logger: Logger | undefined;
  readonly #retry: RetryOptions;
  readonly #onRequest: SdkPermissionsApiOptions['onRequest'];
  readonly #timeoutMs: number;

  constructor(options: SdkPermissionsApiOptions) {
    if (options.adminKey === '') throw new Error('an OpenAI admin key is required');
    const client = new OpenAI({
      adminAPIKey: options.adminKey,
      // Explicit nulls keep the SDK from picking up OPENAI_API_KEY, OPENAI_ORG_ID and the like
      // from the environment: the admin key is the only credential this client may send.
      apiKey: null,
      organization: null,
      project: null,
      webhookSecret: null,
      baseURL: options.baseURL,
      maxRetries: 0,
      // The SDK's timeout ends when the headers arrive, and a body can trickle in for minutes
      // after them: every exchange carries its own deadline signal instead (see #exchange).
      logLevel: 'off',
    });
    this.#permissions = client.fineTuning.checkpoints.permissions;
    this.#auditLogs = client.admin.organization.auditLogs;
    this.#limiter = options.rateLimiter;
    this.#logger = options.logger;
    this.#retry = options.retry ?? {};
    this.#onRequest = options.onRequest;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * Follows every page (`limit=100`, `after` = the previous page's `last_id`) rather than the
   * SDK's auto-pagination, so each page passes the rate limiter and is retried on its own.
   */
  async list(checkpoint: string, signal?: AbortSignal): Promise<Observation> {
    try {
      return { exists: true, permissions: await this.#listPages(checkpoint, signal) };
    } catch (error: unknown) {
      // Classified at this boundary like every failure; only here is a 404 an answer.
      if (error instanceof TerminalError && error.reason === 'CheckpointNotFound') return { exists: false };
      throw error;
    }
  }

  async #listPages(checkpoint: string, signal: AbortSignal | undefined): Promise<Permission[]> {
    const byId = new Map<string, Permission>();
    const pages = this.#pages(
      'list',
      checkpoint,
      (after, options) =>
        this.#permissions.list(
          checkpoint,
          after === undefined ? { limit: PAGE_SIZE } : { limit: PAGE_SIZE, after },
          options,
        ),
      (body) => decodePermissionPage(body, { paged: true }),
      signal,
    );
    for await (const page of pages)
      for (const permission of page.permissions) byId.set(permission.id, permission);
    return [...byId.values()];
  }

  /**
   * The organisation's checkpoint-permission events since `sinceSeconds`: one request per page
   * of 100, each through the rate limiter and retried on its own like a list page.
   */
  async *permissionEvents(
    sinceSeconds: number,
    signal?: AbortSignal,
  ): AsyncIterable<readonly PermissionEvent[]> {
    const query = {
      event_types: [...PERMISSION_EVENT_TYPES],
      effective_at: { gte: Math.floor(sinceSeconds) },
      limit: PAGE_SIZE,
    };
    const pages = this.#pages(
      'audit_log',
      ORGANIZATION,
      (after, options) => this.#auditLogs.list(after === undefined ? query : { ...query, after }, options),
      decodeAuditPage,
      signal,
    );
    for await (const page of pages) yield page.events;
  }

  /**
   * Every page of a cursor-paged list (`after` = the previous page's `last_id`), each a request
   * of its own through the limiter and retried on its own, rather than the SDK's auto-pagination.
   * A cursor that comes back twice is a bad answer, not a loop.
   */
  async *#pages<P extends PageCursor>(
    operation: Operation,
    checkpoint: string,
    send: (after: string | undefined, options: { signal: AbortSignal }) => APIPromise<unknown>,
    decode: (body: unknown) => P,
    signal: AbortSignal | undefined,
  ): AsyncIterable<P> {
    const cursors = new Set<string>();
    let after: string | undefined;
    for (;;) {
      const page = await this.#idempotent(
        operation,
        checkpoint,
        (options) => send(after, options),
        decode,
        signal,
      );
      yield page;
      if (!page.hasMore || page.lastId === undefined) return;
      if (cursors.has(page.lastId)) {
        throw classifyError(new BodyShapeError(`cursor ${page.lastId} came back twice`), {
          operation,
          checkpoint,
        });
      }
      cursors.add(page.lastId);
      after = page.lastId;
    }
  }

  /**
   * One create call for the whole (deduplicated) batch. A 400 is atomic on OpenAI's side
   * (nothing was created), so the batch can safely be sent again without the culprit: the project
   * the message names, or else each half in turn until single projects remain. Any other
   * failure is thrown as classified, even after part of a split batch was granted: the caller
   * lists again before granting what is still missing.
   */
  async grant(checkpoint: string, projectIds: readonly string[], signal?: AbortSignal): Promise<GrantResult> {
    const result: GrantResult = { granted: [], failed: [] };
    const batch = [...new Set(projectIds)];
    if (batch.length > 0) await this.#grantBatch(checkpoint, batch, result, signal);
    return result;
  }

  async #grantBatch(
    checkpoint: string,
    batch: string[],
    result: GrantResult,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    try {
      const created = await this.#exchange(
        'grant',
        checkpoint,
        (options) => this.#permissions.create(checkpoint, { project_ids: batch }, options),
        (body) => decodePermissionPage(body, { paged: false }),
        signal,
      );
      result.granted.push(...created.permissions);
      return;
    } catch (error: unknown) {
      const refused = projectRefusal(error);
      if (!refused) throw error;
      const named =
        refused.projectId !== undefined && batch.includes(refused.projectId) ? refused.projectId : undefined;
      const [only] = batch;
      const culprit = named ?? (batch.length === 1 ? only : undefined);
      if (culprit !== undefined) {
        result.failed.push(this.#failure(culprit, refused));
        const rest = batch.filter((p) => p !== culprit);
        if (rest.length > 0) await this.#grantBatch(checkpoint, rest, result, signal);
        return;
      }
      const middle = Math.ceil(batch.length / 2);
      await this.#grantBatch(checkpoint, batch.slice(0, middle), result, signal);
      await this.#grantBatch(checkpoint, batch.slice(middle), result, signal);
    }
  }

  #failure(projectId: string, error: TerminalError & { reason: GrantFailure['reason'] }): GrantFailure {
    // Why and what to do only: the failure already names the project, and the condition and
    // event that quote it name the checkpoint.
    const { why, fix } = explain(error);
    const message = `${why}; ${fix}`;
    this.#logger?.info(
      {
        operation: 'grant',
        checkpoint: error.checkpoint,
        projectId,
        reason: error.reason,
        detail: error.detail,
        requestId: error.requestId,
      },
      'OpenAI refused a project',
    );
    return { projectId, reason: error.reason, message };
  }

  /** A 404 (permission or checkpoint already gone) counts as revoked. */
  async revoke(checkpoint: string, permissionId: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.#idempotent(
        'revoke',
        checkpoint,
        (options) =>
          this.#permissions.delete(permissionId, { fine_tuned_model_checkpoint: checkpoint }, options),
        (body) => decodeDeleted(body, permissionId),
        signal,
      );
    } catch (error: unknown) {
      if (error instanceof TerminalError && error.status === 404) return;
      throw error;
    }
  }

  #idempotent<T>(
    operation: Operation,
    checkpoint: string,
    send: Send,
    decode: (body: unknown) => T,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    return retryIdempotent(
      () => this.#exchange(operation, checkpoint, send, decode, signal),
      this.#retry,
      ({ attempt, delayMs, error }) =>
        this.#logger?.warn(
          {
            operation,
            checkpoint,
            attempt,
            delayMs,
            status: error.status,
            requestId: error.requestId,
            err: error,
          },
          'retrying OpenAI request',
        ),
      signal,
    );
  }

  /**
   * One HTTP attempt: rate limit, then send, read and decode the body under one deadline,
   * observe, classify failures. A 429 or 503 that names a delay pauses every request.
   */
  async #exchange<T>(
    operation: Operation,
    checkpoint: string,
    send: Send,
    decode: (body: unknown) => T,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    let context: ErrorContext = { operation, checkpoint };
    // A pause longer than a worker should wait in place goes back to the controller's queue,
    // which waits it out per checkpoint while the workers do what needs no OpenAI.
    const pauseLeft = this.#limiter.pauseLeft();
    if (pauseLeft > (this.#retry.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs)) throw paused(context, pauseLeft);
    try {
      await this.#limiter.acquire(signal);
    } catch (error: unknown) {
      throw abandoned(context, signal?.reason ?? error);
    }
    const { signal: deadline, end } = callDeadline(this.#timeoutMs);
    const bounded = signal === undefined ? deadline : AbortSignal.any([deadline, signal]);
    const started = performance.now();
    let text: string;
    try {
      // The raw response, not the SDK's parsed page: its page classes fill in a missing `data`
      // or `has_more`, and a malformed success must be caught rather than read as empty.
      const response = await send({ signal: bounded }).asResponse();
      const requestId = response.headers.get('x-request-id') ?? undefined;
      context = { ...context, status: response.status, ...(requestId === undefined ? {} : { requestId }) };
      text = await response.text();
    } catch (error: unknown) {
      const failure = this.#interrupted(context, deadline, signal) ?? classifyError(error, context);
      this.#observe(operation, checkpoint, failureCode(error, deadline, signal), started, failure.requestId);
      this.#pauseOn(failure);
      throw failure;
    } finally {
      end();
    }
    this.#observe(operation, checkpoint, String(context.status), started, context.requestId);
    try {
      return decode(JSON.parse(text));
    } catch (error: unknown) {
      throw classifyError(error, context);
    }
  }

  /** The failure when a deadline ended the exchange: the caller's first, else its own. */
  #interrupted(
    context: ErrorContext,
    deadline: AbortSignal,
    signal: AbortSignal | undefined,
  ): OpenAIPermissionError | undefined {
    if (signal?.aborted) return abandoned(context, signal.reason);
    if (deadline.aborted) return timedOut(context, this.#timeoutMs);
    return undefined;
  }

  /**
   * OpenAI's rate limits are per organisation: once it says "not before", no checkpoint may
   * send anything until then. A 503 with a delay speaks for the whole service too.
   */
  #pauseOn(failure: OpenAIPermissionError): void {
    if (!(failure instanceof TransientError) || failure.retryAfterMs === undefined) return;
    if (failure.status !== 429 && failure.status !== 503) return;
    this.#limiter.pauseFor(failure.retryAfterMs);
    this.#logger?.warn(
      {
        operation: failure.operation,
        checkpoint: failure.checkpoint,
        status: failure.status,
        pauseMs: failure.retryAfterMs,
      },
      'OpenAI asked to wait: pausing every request',
    );
  }

  #observe(
    operation: Operation,
    checkpoint: string,
    code: string,
    started: number,
    requestId?: string,
  ): void {
    const durationSeconds = (performance.now() - started) / 1000;
    this.#logger?.debug({ operation, checkpoint, code, requestId, durationSeconds }, 'OpenAI request');
    try {
      this.#onRequest?.(operation, code, durationSeconds);
    } catch (error: unknown) {
      // A broken metrics hook must not turn a successful call into a failed one.
      this.#logger?.error({ err: error }, 'onRequest hook threw');
    }
  }
}

function projectRefusal(error: unknown): (TerminalError & { reason: GrantFailure['reason'] }) | undefined {
  if (!(error instanceof TerminalError)) return undefined;
  if (error.reason !== 'InvalidProject' && error.reason !== 'OwningProject') return undefined;
  return error as TerminalError & { reason: GrantFailure['reason'] };
}

/** The metric code of an exchange that did not end in a whole response. */
function failureCode(error: unknown, deadline: AbortSignal, signal: AbortSignal | undefined): string {
  if (signal?.aborted) return 'aborted';
  if (deadline.aborted || error instanceof APIConnectionTimeoutError) return 'timeout';
  return error instanceof APIError && error.status !== undefined ? String(error.status) : 'error';
}
