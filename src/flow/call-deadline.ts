/**
 * A deadline for one call that ends with the call. Not AbortSignal.timeout: its timer outlives
 * the call and fires `timeoutMs` later anyway, building a DOMException and aborting a finished
 * request's listeners (at 10,000 shares, seconds of CPU for calls long done). `end()` when the
 * call is over, however it ended.
 */
export function callDeadline(timeoutMs: number): { signal: AbortSignal; end: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    timeoutMs,
  );
  return { signal: controller.signal, end: () => clearTimeout(timer) };
}
