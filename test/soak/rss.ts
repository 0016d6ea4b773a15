import { readFileSync } from 'node:fs';

const MIB = 1024 * 1024;

/**
 * RSS grew over the last half when the median of its fourth quarter exceeds the median of its
 * third by more than both of these: medians ignore single GC peaks, and the floor ignores the
 * few MiB a heap settles by once it has seen every code path.
 */
export const GROWTH_TOLERANCE = { fraction: 0.1, bytes: 8 * MIB } as const;

/**
 * A replica is judged only when it started, or took the lead, this long before the second half
 * begins: a new leader's RSS climbs for about a minute (26-60 s measured, +55-65 MiB) while V8
 * sizes its heap for the work, then stays flat; that climb is not a leak.
 */
export const WARM_UP_MS = 90_000;

export interface RssSample {
  /** ms since the soak started. */
  at: number;
  bytes: number;
}

/** VmRSS of a live process from /proc, or undefined once it has exited. */
export function readRss(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * The lowest V8 heap used (the operator's nodejs_heap_size_used_bytes) in the third and fourth
 * quarters: after each collection the heap falls to what is live, so a floor that rises is live
 * data piling up, while RSS alone cannot tell that from a heap that V8 lets grow.
 */
export function heapFloors(
  samples: readonly RssSample[],
  windowMs: number,
): { heapFloorThirdQuarterMiB?: number; heapFloorFourthQuarterMiB?: number } {
  const floor = (from: number, to: number) => {
    const inside = samples.filter((s) => s.at >= from && s.at < to).map((s) => s.bytes);
    return inside.length === 0 ? undefined : mib(Math.min(...inside));
  };
  const third = floor(windowMs / 2, (windowMs * 3) / 4);
  const fourth = floor((windowMs * 3) / 4, windowMs + 1);
  return {
    ...(third === undefined ? {} : { heapFloorThirdQuarterMiB: third }),
    ...(fourth === undefined ? {} : { heapFloorFourthQuarterMiB: fourth }),
  };
}

export interface RssVerdict {
  peakMiB: number;
  finalMiB: number;
  /** Undefined when the replica was not judged (see notJudged). */
  thirdQuarterMiB?: number;
  fourthQuarterMiB?: number;
  grew: boolean;
  notJudged?: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const mib = (bytes: number): number => Math.round((bytes / MIB) * 10) / 10;

/**
 * Judges one process's samples over the second half of the churn window [0, windowMs];
 * `settledSince` is when it started or last took the lead, in ms since the soak started.
 */
export function judgeRss(samples: readonly RssSample[], windowMs: number, settledSince: number): RssVerdict {
  const peak = Math.max(0, ...samples.map((s) => s.bytes));
  const final = samples.at(-1)?.bytes ?? 0;
  const third = samples.filter((s) => s.at >= windowMs / 2 && s.at < (windowMs * 3) / 4).map((s) => s.bytes);
  const fourth = samples.filter((s) => s.at >= (windowMs * 3) / 4 && s.at <= windowMs).map((s) => s.bytes);
  const unjudged = (notJudged: string): RssVerdict => ({
    peakMiB: mib(peak),
    finalMiB: mib(final),
    grew: false,
    notJudged,
  });
  if (third.length < 3 || fourth.length < 3) return unjudged('did not run through the second half');
  if (settledSince + WARM_UP_MS > windowMs / 2) {
    return unjudged(`started or took the lead less than ${WARM_UP_MS / 1000} s before the second half`);
  }
  const q3 = median(third);
  const q4 = median(fourth);
  const growth = q4 - q3;
  return {
    peakMiB: mib(peak),
    finalMiB: mib(final),
    thirdQuarterMiB: mib(q3),
    fourthQuarterMiB: mib(q4),
    grew: growth > GROWTH_TOLERANCE.bytes && growth > q3 * GROWTH_TOLERANCE.fraction,
  };
}
