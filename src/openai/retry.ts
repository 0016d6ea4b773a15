import { setTimeout as wait } from 'node:timers/promises';
import pRetry, { AbortError } from 'p-retry';
import { backoffDelay } from '../flow/backoff.js';
import { TransientError } from './errors.js';

export interface RetryOptions {
  /** Tries in all for an idempotent call (list page, delete), the first included; default 3. */
  attempts?: number;
  /** Backoff before the first retry when the server names no delay; doubles after; default 250 ms. */
  baseDelayMs?: number;
  /**
   * The longest wait spent inside the client, default 10 s. A server asking for longer gets its
   * TransientError back at once, so the controller's queue waits it out instead of a worker.
   */
  maxDelayMs?: number;
  /** Waits between tries, cut short by the signal; injectable so tests run without real time. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** [0, 1), for jitter; injectable for deterministic tests. */
  random?: () => number;
}

export interface RetryEvent {
  attempt: number;
  delayMs: number;
  error: TransientError;
}

export const DEFAULT_RETRY = { attempts: 3, baseDelayMs: 250, maxDelayMs: 10_000 } as const;

const realSleep = (ms: number, signal?: AbortSignal) =>
  wait(ms, undefined, signal === undefined ? undefined : { signal });

/** Exponential backoff, half fixed and half random, so retries spread out. */
function backoff(attempt: number, options: Required<RetryOptions>): number {
  const steps = { baseMs: options.baseDelayMs, maxMs: options.maxDelayMs, jitter: { below: 0.5, above: 0 } };
  return backoffDelay(attempt, steps, options.random);
}

/**
 * Runs an idempotent call, retrying TransientErrors whose server-named delay (if any) is within
 * maxDelayMs. Terminal errors and longer delays end it at once with the error as thrown, and
 * so does any failure once `signal` has aborted. Only for calls that are safe to send twice: a
 * create is never passed through here.
 */
export function retryIdempotent<T>(
  call: () => Promise<T>,
  retry: RetryOptions = {},
  onRetry?: (event: RetryEvent) => void,
  signal?: AbortSignal,
): Promise<T> {
  const options: Required<RetryOptions> = {
    attempts: retry.attempts ?? DEFAULT_RETRY.attempts,
    baseDelayMs: retry.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
    maxDelayMs: retry.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
    sleep: retry.sleep ?? realSleep,
    random: retry.random ?? Math.random,
  };
  const retryable = (error: unknown): error is TransientError =>
    signal?.aborted !== true &&
    error instanceof TransientError &&
    (error.retryAfterMs === undefined || error.retryAfterMs <= options.maxDelayMs);

  return pRetry(
    async () => {
      try {
        return await call();
      } catch (error: unknown) {
        if (retryable(error)) throw error;
        // AbortError stops p-retry and rejects with the wrapped error itself.
        throw new AbortError(error instanceof Error ? error : new Error(String(error)));
      }
    },
    {
      retries: Math.max(0, options.attempts - 1),
      // p-retry's own timer stays at zero: the wait happens below, through the injectable sleep,
      // and honours the server's delay rather than a computed one.
      minTimeout: 0,
      randomize: false,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft <= 0 || !retryable(error)) return;
        const delayMs = error.retryAfterMs ?? backoff(attemptNumber, options);
        onRetry?.({ attempt: attemptNumber, delayMs, error });
        try {
          await options.sleep(delayMs, signal);
        } catch {
          // Aborted while waiting: the next attempt fails at once and ends the call as abandoned.
        }
      },
    },
  );
}
