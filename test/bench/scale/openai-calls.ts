import type { RequestRecord } from '@checkpoint-share/sandbox/openai-api';

/** OpenAI requests as the stand-in received them, over some stretch of the run. */
export interface OpenAICalls {
  /** By operation (list, grant, revoke), faulted or not. */
  byOperation: Record<string, number>;
  /** Answers other than 200, by "operation status". */
  failed: Record<string, number>;
  total: number;
  /** The most requests that arrived within any window of one second (sliding, to the ms). */
  peakInOneSecond: number;
  /** When that window began, in ms since the epoch. */
  peakAt: number | undefined;
}

/** The most arrival times inside any window of `windowMs`; `times` need not be sorted. */
export function peakInWindow(
  times: readonly number[],
  windowMs = 1000,
): { peak: number; at: number | undefined } {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let at: number | undefined;
  let first = 0;
  for (let last = 0; last < sorted.length; last += 1) {
    while ((sorted[last] as number) - (sorted[first] as number) >= windowMs) first += 1;
    if (last - first + 1 > peak) {
      peak = last - first + 1;
      at = sorted[first];
    }
  }
  return { peak, at };
}

/** The calls that arrived in [from, to) (ms since the epoch). */
/** The fields of a stand-in request record these figures need. */
export type Arrived = Pick<RequestRecord, 'time' | 'path' | 'status'> & { operation?: string | undefined };

export function openaiCalls(
  records: readonly Arrived[],
  from = 0,
  to = Number.POSITIVE_INFINITY,
): OpenAICalls {
  const inside = records.filter((r) => r.time >= from && r.time < to);
  const byOperation: Record<string, number> = {};
  const failed: Record<string, number> = {};
  for (const r of inside) {
    const operation = r.operation ?? r.path;
    byOperation[operation] = (byOperation[operation] ?? 0) + 1;
    if (r.status !== 200)
      failed[`${operation} ${r.status ?? 'reset'}`] =
        (failed[`${operation} ${r.status ?? 'reset'}`] ?? 0) + 1;
  }
  const { peak, at } = peakInWindow(inside.map((r) => r.time));
  return { byOperation, failed, total: inside.length, peakInOneSecond: peak, peakAt: at };
}
