/**
 * Injected failures for the requests themselves: latency on every API call and a queue of rules
 * that fail the next matching requests with a 5xx or a 429 with Retry-After, so clients prove
 * their retry and backoff paths, and namespaces the caller may not touch at all (403, as RBAC
 * answers when no role binds there). Dropping watches and expiring history act on the watch hub.
 */
import { forbidden, internalError, KubeError, tooManyRequests } from './status.js';

export type InjectedStatus = 429 | 500 | 503;

export interface FailureRule {
  /** How many matching requests fail. */
  count: number;
  /** 500 InternalError (default), 503 ServiceUnavailable or 429 TooManyRequests. */
  code?: InjectedStatus;
  /** Only requests with this HTTP method (GET, PUT, ...). */
  method?: string;
  /** Only requests whose path matches (a RegExp, or its source). */
  path?: string | RegExp;
  /** The Retry-After a 429 or 503 carries; 1 by default. */
  retryAfterSeconds?: number;
}

interface ActiveRule {
  remaining: number;
  code: InjectedStatus;
  method: string | undefined;
  path: RegExp | undefined;
  retryAfterSeconds: number;
}

export class FaultState {
  latencyMs = 0;
  /** Namespaces in which every resource request is refused with 403 Forbidden. */
  forbiddenNamespaces = new Set<string>();
  private rules: ActiveRule[] = [];

  /** The 403 a resource request in a forbidden namespace gets, if it is in one. */
  forbids(
    verb: string,
    resource: string,
    group: string,
    namespace: string | undefined,
  ): KubeError | undefined {
    if (namespace === undefined || !this.forbiddenNamespaces.has(namespace)) return undefined;
    return forbidden(verb, resource, group, namespace);
  }

  failNext(rule: FailureRule): void {
    if (!Number.isInteger(rule.count) || rule.count < 1) throw new Error('failNext needs a positive count');
    this.rules.push({
      remaining: rule.count,
      code: rule.code ?? 500,
      method: rule.method?.toUpperCase(),
      path:
        rule.path === undefined ? undefined : rule.path instanceof RegExp ? rule.path : new RegExp(rule.path),
      retryAfterSeconds: rule.retryAfterSeconds ?? 1,
    });
  }

  /** The failure this request gets, if a rule matches; consumes one from that rule. */
  take(method: string, path: string): KubeError | undefined {
    const rule = this.rules.find(
      (r) => (r.method === undefined || r.method === method) && (r.path === undefined || r.path.test(path)),
    );
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
    if (rule.code === 429) return tooManyRequests(rule.retryAfterSeconds);
    if (rule.code === 503) {
      return new KubeError(
        503,
        'ServiceUnavailable',
        'the server is currently unable to handle the request',
        { retryAfterSeconds: rule.retryAfterSeconds },
        { 'Retry-After': String(rule.retryAfterSeconds) },
      );
    }
    return internalError('injected failure');
  }

  get pendingFailures(): number {
    return this.rules.reduce((sum, r) => sum + r.remaining, 0);
  }

  clear(): void {
    this.rules = [];
    this.latencyMs = 0;
    this.forbiddenNamespaces.clear();
  }
}
