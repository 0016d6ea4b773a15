import {
  type ConfigurationOptions,
  Observable,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { callDeadline } from '../flow/call-deadline.js';

/** Every Kubernetes call the operator makes in a pass ends within this, response body included. */
export const KUBE_CALL_TIMEOUT_MS = 30_000;

/** A Kubernetes call that ran past its own deadline. */
export class KubeTimeoutError extends Error {
  override readonly name = 'KubeTimeoutError';
}

/**
 * Request options that make one client-node call carry `signal`: the middleware sets it on the
 * request context, which hands it to fetch, so it also bounds the read of the response body.
 * Appended, so the client's own middleware (user agent) and `options` (content type) stay.
 */
function withSignal(signal: AbortSignal, options?: ConfigurationOptions): ConfigurationOptions {
  const carry: ObservableMiddleware = {
    pre: (context: RequestContext) => {
      context.setSignal(signal);
      return new Observable(Promise.resolve(context));
    },
    post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
  };
  return {
    ...options,
    middleware: [...(options?.middleware ?? []), carry],
    middlewareMergeStrategy: 'append',
  };
}

/**
 * Runs one Kubernetes call under its own deadline, cut short by the caller's signal (the pass's
 * deadline, shutdown). Past its own deadline it fails with a KubeTimeoutError naming the call;
 * when the caller's signal ended it, with the caller's reason.
 */
export async function withDeadline<T>(
  what: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  call: (options: ConfigurationOptions) => Promise<T>,
  options?: ConfigurationOptions,
): Promise<T> {
  signal?.throwIfAborted();
  const deadline = callDeadline(timeoutMs);
  const bounded = signal === undefined ? deadline.signal : AbortSignal.any([deadline.signal, signal]);
  try {
    return await call(withSignal(bounded, options));
  } catch (error: unknown) {
    if (signal?.aborted) throw signal.reason;
    if (deadline.signal.aborted)
      throw new KubeTimeoutError(`Kubernetes ${what} timed out after ${timeoutMs / 1000}s`, { cause: error });
    throw error;
  } finally {
    deadline.end();
  }
}
