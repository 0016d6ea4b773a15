import { readFileSync } from 'node:fs';

/** What /proc says of a live process. */
export interface ProcessStats {
  /** VmRSS: resident now. */
  rssBytes: number;
  /** VmHWM: the most it was ever resident (catches peaks between two samples). */
  peakRssBytes: number;
  /** utime + stime, in seconds. */
  cpuSeconds: number;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/** undefined once the process has exited. */
export function processStats(pid: number): ProcessStats | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kB = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status)?.[1] ?? 0) * 1024;
    // Fields after the command name, which is in parentheses and may itself hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), 12 and 13 after the command name.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssBytes: kB('VmRSS'), peakRssBytes: kB('VmHWM'), cpuSeconds: ticks / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}
