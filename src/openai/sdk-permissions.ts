import { APIError, type APIPromise, OpenAI } from 'openai';
import type { Logger } from '../observability/logger.js';
import { classifyError } from './classify.js';
import { type ErrorContext, type Operation, TerminalError } from './errors.js';
import { explain } from './explain.js';
import type { GrantFailure, GrantResult, Permission, PermissionsApi } from './permissions.js';
import type { RequestLimiter } from './rate-limiter.js';
import { BodyShapeError, decodeDeleted, decodePermissionPage } from './response-body.js';
import { type RetryOptions, retryIdempotent } from './retry.js';

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
  /** Per HTTP request, until the response headers arrive; default 30 s. */
  timeoutMs?: number;
  logger?: Logger;
  /** In-client retries of idempotent calls (list pages, deletes). */
  retry?: RetryOptions;
  /**
   * Called once per HTTP attempt with the status code ('error' when no response came) and the
   * time to the response headers: the hook the metrics layer counts requests with.
   */
  onRequest?: (operation: Operation, code: string, durationSeconds: number) => void;
}

type PermissionsResource = OpenAI['fineTuning']['checkpoints']['permissions'];

/**
 * PermissionsApi over the official SDK. Each HTTP attempt takes a token from the shared rate
 * limiter and is classified once by ./classify.ts. The SDK's own retries are off: idempotent
 * calls are retried here (bounded, honouring retry-after), creates never.
 */
export class SdkPermissionsApi implements PermissionsApi {
  readonly #permissions: PermissionsResource;
  readonly #limiter: RequestLimiter;
  readonly #logger: Logger | undefined;
  readonly #retry: RetryOptions;
  readonly #onRequest: SdkPermissionsApiOptions['onRequest'];

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
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      logLevel: 'off',
    });
    this.#permissions = client.fineTuning.checkpoints.permissions;
    this.#limiter = options.rateLimiter;
    this.#logger = options.logger;
    this.#retry = options.retry ?? {};
    this.#onRequest = options.onRequest;
  }

  /**
   * Follows every page (`limit=100`, `after` = the previous page's `last_id`) rather than the
   * SDK's auto-pagination, so each page passes the rate limiter and is retried on its own.
   */
  async list(checkpoint: string): Promise<Permission[]> {
    const byId = new Map<string, Permission>();
    const cursors = new Set<string>();
    let after: string | undefined;
    for (;;) {
      const query = after === undefined ? { limit: PAGE_SIZE } : { limit: PAGE_SIZE, after };
      const page = await this.#idempotent(
        'list',
        checkpoint,
        () => this.#permissions.list(checkpoint, query),
        (body) => decodePermissionPage(body, { paged: true }),
      );
      for (const permission of page.permissions) byId.set(permission.id, permission);
      if (!page.hasMore || page.lastId === undefined) break;
      if (cursors.has(page.lastId)) {
        throw classifyError(new BodyShapeError(`cursor ${page.lastId} came back twice`), {
          operation: 'list',
          checkpoint,
        });
      }
      cursors.add(page.lastId);
      after = page.lastId;
    }
    return [...byId.values()];
  }

  /**
   * One create call for the whole (deduplicated) batch. A 400 is atomic on OpenAI's side
   * (nothing was created), so the batch can safely be sent again without the culprit: the project
   * the message names, or else each half in turn until single projects remain. Any other
   * failure is thrown as classified, even after part of a split batch was granted: the caller
   * lists again before granting what is still missing.
   */
  async grant(checkpoint: string, projectIds: readonly string[]): Promise<GrantResult> {
    const result: GrantResult = { granted: [], failed: [] };
    const batch = [...new Set(projectIds)];
    if (batch.length > 0) await this.#grantBatch(checkpoint, batch, result);
    return result;
  }

  async #grantBatch(checkpoint: string, batch: string[], result: GrantResult): Promise<void> {
    try {
      const created = await this.#exchange(
        'grant',
        checkpoint,
        () => this.#permissions.create(checkpoint, { project_ids: batch }),
        (body) => decodePermissionPage(body, { paged: false }),
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
        if (rest.length > 0) await this.#grantBatch(checkpoint, rest, result);
        return;
      }
      const middle = Math.ceil(batch.length / 2);
      await this.#grantBatch(checkpoint, batch.slice(0, middle), result);
      await this.#grantBatch(checkpoint, batch.slice(middle), result);
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
  async revoke(checkpoint: string, permissionId: string): Promise<void> {
    try {
      await this.#idempotent(
        'revoke',
        checkpoint,
        () => this.#permissions.delete(permissionId, { fine_tuned_model_checkpoint: checkpoint }),
        (body) => decodeDeleted(body, permissionId),
      );
    } catch (error: unknown) {
      if (error instanceof TerminalError && error.status === 404) return;
      throw error;
    }
  }

  #idempotent<T>(
    operation: Operation,
    checkpoint: string,
    send: () => APIPromise<unknown>,
    decode: (body: unknown) => T,
  ): Promise<T> {
    return retryIdempotent(
      () => this.#exchange(operation, checkpoint, send, decode),
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
    );
  }

  /** One HTTP attempt: rate limit, send, observe, read and decode the body, classify failures. */
  async #exchange<T>(
    operation: Operation,
    checkpoint: string,
    send: () => APIPromise<unknown>,
    decode: (body: unknown) => T,
  ): Promise<T> {
    await this.#limiter.acquire();
    const started = performance.now();
    let response: Response;
    try {
      // The raw response, not the SDK's parsed page: its page classes fill in a missing `data`
      // or `has_more`, and a malformed success must be caught rather than read as empty.
      response = await send().asResponse();
    } catch (error: unknown) {
      const code = error instanceof APIError && error.status !== undefined ? String(error.status) : 'error';
      const failure = classifyError(error, { operation, checkpoint });
      this.#observe(operation, checkpoint, code, started, failure.requestId);
      throw failure;
    }
    const requestId = response.headers.get('x-request-id') ?? undefined;
    this.#observe(operation, checkpoint, String(response.status), started, requestId);
    const context: ErrorContext = {
      operation,
      checkpoint,
      status: response.status,
      ...(requestId === undefined ? {} : { requestId }),
    };
    try {
      return decode(JSON.parse(await response.text()));
    } catch (error: unknown) {
      throw classifyError(error, context);
    }
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
