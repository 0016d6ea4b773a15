/** The part of Headers this needs, so tests can pass a plain object. */
export interface HeaderLookup {
  get(name: string): string | null;
}

/**
 * The delay a server asks for, in ms: `retry-after-ms` first (OpenAI sends it), then
 * `retry-after` as seconds or as an HTTP date. However long it is, it is returned as is: the
 * controller honours it; only the in-client retry decides it is too long to wait for in place.
 * Undefined when neither header is present or parseable.
 */
export function parseRetryAfter(
  headers: HeaderLookup | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));

  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
