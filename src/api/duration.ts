const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** Go's time.Duration is int64 nanoseconds: CEL's duration() (and so the CRD rule) refuses more. */
const MAX_GO_DURATION_MS = 9_223_372_036_854.775;

/**
 * Parses a Go-style duration (30s, 10m, 1h30m, 250ms) into milliseconds; undefined if malformed.
 * Accepts exactly what the CRD accepts for spec.interval before its floor: the CRD's pattern
 * (this DURATION) within the range of a Go duration, which its CEL rule's duration() enforces.
 */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) && total <= MAX_GO_DURATION_MS ? Math.round(total) : undefined;
}

/** 600000 -> "10m", 90000 -> "1m30s": for messages a person reads. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  let seconds = Math.round(ms / 1000);
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  return `${hours ? `${hours}h` : ''}${minutes ? `${minutes}m` : ''}${seconds ? `${seconds}s` : ''}` || '0s';
}
