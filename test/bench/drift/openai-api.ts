import type { AuditLogApi, PermissionEvent } from '../../../src/openai/audit-log.js';
import type { Operation } from '../../../src/openai/errors.js';
import type { GrantResult, Observation, PermissionsApi } from '../../../src/openai/permissions.js';
import type { LimiterClock, RequestLimiter } from '../../../src/openai/rate-limiter.js';
import { PAGE_SIZE } from '../../../src/openai/sdk-permissions.js';
import type { Organisation } from './organisation.js';

/** The operations the benchmark counts, as the operator's request metric names them. */
export type CountedOperation = Extract<Operation, 'list' | 'grant' | 'revoke' | 'audit_log'>;
export const COUNTED: readonly CountedOperation[] = ['list', 'grant', 'revoke', 'audit_log'];
export type CallCounts = Record<CountedOperation, number>;

export const noCalls = (): CallCounts => ({ list: 0, grant: 0, revoke: 0, audit_log: 0 });

/** The limiter's clock on the fake timers: Date.now and setTimeout are what vitest fakes. */
export const fakeClock: LimiterClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

const pagesOf = (items: number) => Math.max(1, Math.ceil(items / PAGE_SIZE));

/**
 * The OpenAI API over an Organisation, shaped as SdkPermissionsApi uses it: every request (each
 * page of a list or of the audit log, each create, each delete) waits for the shared rate
 * limiter, takes `latencyMs` of simulated time, and is counted by operation. A list sees the
 * state when its last page is answered; the audit log serves what is readable by then.
 */
export class OpenAIModel implements PermissionsApi, AuditLogApi {
  #counts: CallCounts = noCalls();

  constructor(
    private readonly organisation: Organisation,
    private readonly limiter: RequestLimiter,
    private readonly latencyMs: number,
  ) {}

  /** Calls since the last reset, by operation (pages counted). */
  get counts(): CallCounts {
    return { ...this.#counts };
  }

  resetCounts(): void {
    this.#counts = noCalls();
  }

  async list(checkpoint: string, signal?: AbortSignal): Promise<Observation> {
    if (!this.organisation.exists(checkpoint)) {
      await this.#request('list', signal);
      return { exists: false };
    }
    for (let page = 1; ; page += 1) {
      await this.#request('list', signal);
      const permissions = this.organisation.permissions(checkpoint);
      if (page >= pagesOf(permissions.length)) return { exists: true, permissions };
    }
  }

  async grant(checkpoint: string, projectIds: readonly string[], signal?: AbortSignal): Promise<GrantResult> {
    const batch = [...new Set(projectIds)];
    if (batch.length === 0) return { granted: [], failed: [] };
    await this.#request('grant', signal);
    return { granted: this.organisation.create(checkpoint, batch, 'operator'), failed: [] };
  }

  async revoke(checkpoint: string, permissionId: string, signal?: AbortSignal): Promise<void> {
    await this.#request('revoke', signal);
    this.organisation.delete(checkpoint, permissionId, 'operator');
  }

  async *permissionEvents(
    sinceSeconds: number,
    signal?: AbortSignal,
  ): AsyncIterable<readonly PermissionEvent[]> {
    for (let page = 1; ; page += 1) {
      await this.#request('audit_log', signal);
      const events = this.organisation.events(Math.floor(sinceSeconds));
      // Each page as the log stood when it was asked for: 100 entries of the window, in turn.
      yield events.slice((page - 1) * 100, page * 100);
      if (page >= pagesOf(events.length)) return;
    }
  }

  /** One HTTP exchange: a token from the limiter, then the round trip. */
  async #request(operation: CountedOperation, signal: AbortSignal | undefined): Promise<void> {
    await this.limiter.acquire(signal);
    this.#counts[operation] += 1;
    if (this.latencyMs > 0) await fakeClock.sleep(this.latencyMs, signal);
  }
}
