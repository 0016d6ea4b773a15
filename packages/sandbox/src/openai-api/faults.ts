import type { Operation, PermissionOperation } from './operation.js';

export const OPERATIONS: readonly Operation[] = ['list', 'grant', 'revoke', 'audit_log'];

/**
 * What a fault that names no operation affects. Not audit_log: an operator that follows the log
 * polls it in the background, and such a poll would take a fault meant for the permission calls.
 */
const PERMISSION_OPERATIONS: ReadonlySet<Operation> = new Set<PermissionOperation>([
  'list',
  'grant',
  'revoke',
]);

/**
 * - `rate-limit`: 429 with `retry-after` (seconds) and, if asked, `retry-after-ms`.
 * - `server-error`: 500 with an OpenAI-shaped JSON error.
 * - `bad-gateway`: 502 with an HTML page, as a load balancer sends it.
 * - `reset`: the socket is destroyed without an answer.
 * - `latency`: the request is held for `latencyMs`, then handled normally (it takes effect even
 *   if the client has given up, as a slow server's would).
 * - `malformed`: 200 with a truncated JSON body.
 * - `trickle`: the request is carried out and its status and headers sent at once; the body then
 *   follows one byte every `byteIntervalMs`, as from a stalled proxy. A client that times out
 *   only on the headers waits for the whole body.
 */
export const FAULT_KINDS = [
  'rate-limit',
  'server-error',
  'bad-gateway',
  'reset',
  'latency',
  'malformed',
  'trickle',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  kind: FaultKind;
  /** How many matching requests it affects; default 1. */
  count?: number;
  /** Only requests of this operation; default any of list, grant, revoke (audit_log only by name). */
  operation?: Operation;
  /** rate-limit: the `retry-after` header in seconds; default 1. */
  retryAfterSeconds?: number;
  /** rate-limit: also send `retry-after-ms` with this value. */
  retryAfterMs?: number;
  /** latency: how long the request is held, in ms; default 1000. */
  latencyMs?: number;
  /** trickle: the pause before each byte of the body, in ms; default 1000. */
  byteIntervalMs?: number;
  /**
   * server-error, bad-gateway, reset, malformed: carry the request out first and fail only the
   * answer, as when a create succeeded upstream but the response was lost.
   */
  afterCommit?: boolean;
}

/** A fault as pending: its options and how many requests it will still affect. */
export interface PendingFault extends FaultSpec {
  remaining: number;
}

/** Checks a fault given as JSON to the control endpoint; returns an error text or the fault. */
export function parseFaultSpec(input: unknown): FaultSpec | string {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'a fault must be an object';
  const raw = input as Record<string, unknown>;
  const known = new Set([
    'kind',
    'count',
    'operation',
    'retryAfterSeconds',
    'retryAfterMs',
    'latencyMs',
    'byteIntervalMs',
    'afterCommit',
  ]);
  const unknown = Object.keys(raw).filter((k) => !known.has(k));
  if (unknown.length > 0) return `unknown fault fields: ${unknown.join(', ')}`;
  if (!FAULT_KINDS.includes(raw.kind as FaultKind)) return `kind must be one of ${FAULT_KINDS.join(', ')}`;
  const spec: FaultSpec = { kind: raw.kind as FaultKind };
  for (const field of [
    'count',
    'retryAfterSeconds',
    'retryAfterMs',
    'latencyMs',
    'byteIntervalMs',
  ] as const) {
    const value = raw[field];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      return `${field} must be a non-negative number`;
    }
    spec[field] = value;
  }
  if (raw.operation !== undefined) {
    if (!OPERATIONS.includes(raw.operation as Operation))
      return `operation must be one of ${OPERATIONS.join(', ')}`;
    spec.operation = raw.operation as Operation;
  }
  if (raw.afterCommit !== undefined) {
    if (typeof raw.afterCommit !== 'boolean') return 'afterCommit must be a boolean';
    spec.afterCommit = raw.afterCommit;
  }
  return spec;
}

/** Faults queued for the next requests; the first pending fault that matches is used. */
export class FaultInjector {
  #pending: PendingFault[] = [];

  /** Queues faults; each affects the next `count` (default 1) requests it matches. */
  inject(...specs: FaultSpec[]): void {
    for (const spec of specs) {
      const remaining = spec.count ?? 1;
      if (!Number.isInteger(remaining) || remaining < 1) throw new Error('count must be a positive integer');
      this.#pending.push({ ...spec, remaining });
    }
  }

  /** Takes the fault for one request of this operation, if any is pending. */
  take(operation: Operation): FaultSpec | undefined {
    const index = this.#pending.findIndex((f) =>
      f.operation === undefined ? PERMISSION_OPERATIONS.has(operation) : f.operation === operation,
    );
    const fault = this.#pending[index];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.#pending.splice(index, 1);
    const { remaining: _remaining, ...spec } = fault;
    return spec;
  }

  pending(): PendingFault[] {
    return this.#pending.map((f) => ({ ...f }));
  }

  clear(): void {
    this.#pending = [];
  }
}
