import { vi } from 'vitest';

/** The simulated clock starts here (fake Date.now), whatever the wall clock says. */
export const T0 = Date.parse('2026-12-02T00:00:00Z');

/** Timers and Date are faked; performance.now (durations in log lines only) is not. */
export function useSimulatedTime(): void {
  vi.useFakeTimers({
    now: T0,
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
}

export function useRealTime(): void {
  vi.useRealTimers();
}

/** Moves simulated time forward, letting what each timer starts run before the next fires. */
export async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

/** Advances in steps of stepMs until the condition holds; throws after limitMs of simulated time. */
export async function advanceUntil(
  condition: () => boolean,
  stepMs: number,
  limitMs: number,
  what: string,
): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started >= limitMs)
      throw new Error(`${what}: not within ${limitMs / 60_000} simulated minutes`);
    await advance(stepMs);
  }
  return Date.now() - started;
}
