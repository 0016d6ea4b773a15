import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CollectGarbage, HeapSettler } from '../../src/controller/heap-settler.js';

describe('HeapSettler', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const settlerWith = (quiet: () => boolean, collect: CollectGarbage = vi.fn(async () => {})) =>
    ({ settler: new HeapSettler({ collect, quiet, quietMs: 10_000, minPasses: 50 }), collect }) as const;

  it('collects once, memory-reducing, when the queue stays quiet 10 s after a burst of 50 passes', async () => {
    const { settler, collect } = settlerWith(() => true);
    for (let i = 0; i < 50; i++) {
      settler.passDone();
      await vi.advanceTimersByTimeAsync(100);
    }
    await vi.advanceTimersByTimeAsync(9_000);
    expect(collect).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(collect).toHaveBeenCalledTimes(1);
    expect(collect).toHaveBeenCalledWith({ type: 'major', flavor: 'last-resort', execution: 'async' });
    // Steady state: nothing more without another burst.
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('leaves a few passes alone: steady-state drift checks never collect', async () => {
    const { settler, collect } = settlerWith(() => true);
    for (let hour = 0; hour < 24; hour++) {
      settler.passDone();
      await vi.advanceTimersByTimeAsync(60 * 60_000);
    }
    // 24 passes since start: still under the burst size.
    expect(collect).not.toHaveBeenCalled();
  });

  it('waits while passes are queued or running, and collects once the last of them is done', async () => {
    let quiet = false;
    const { settler, collect } = settlerWith(() => quiet);
    for (let i = 0; i < 60; i++) settler.passDone();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(collect).not.toHaveBeenCalled();
    quiet = true;
    settler.passDone();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('does nothing without --expose-gc, and nothing after stop()', async () => {
    const absent = new HeapSettler({ collect: undefined, quiet: () => true, minPasses: 50 });
    expect(absent.enabled).toBe(false);
    for (let i = 0; i < 100; i++) absent.passDone();
    expect(vi.getTimerCount()).toBe(0);

    const { settler, collect } = settlerWith(() => true);
    for (let i = 0; i < 100; i++) settler.passDone();
    settler.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(collect).not.toHaveBeenCalled();
  });
});

describe('HeapSettler with V8', () => {
  it('gives back the pages a burst committed, which an ordinary full collection keeps', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as NodeJS.GCFunction;
    // A burst: many short-lived objects with a few survivors spread among them.
    const survivors: unknown[] = [];
    let burst: unknown[] | undefined = [];
    for (let i = 0; i < 300_000; i++) {
      const o = { id: `cp_${i}`, projects: [i, i + 1] };
      if (i % 10 === 0) survivors.push(o);
      else burst.push(o);
    }
    burst = undefined;
    gc({ type: 'major' });
    const afterOrdinary = getHeapStatistics().total_heap_size;
    let quiet = false;
    const settler = new HeapSettler({
      collect: (options) => gc(options),
      quiet: () => quiet,
      quietMs: 1,
      minPasses: 1,
    });
    quiet = true;
    settler.passDone();
    const deadline = Date.now() + 10_000;
    while (getHeapStatistics().total_heap_size > afterOrdinary * 0.8 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const afterSettling = getHeapStatistics().total_heap_size;
    expect(survivors.length).toBe(30_000);
    expect(
      afterSettling,
      `committed heap ${afterOrdinary} bytes after an ordinary full collection, ${afterSettling} after settling`,
    ).toBeLessThan(afterOrdinary * 0.8);
  });
});
