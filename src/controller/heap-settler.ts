import { getHeapStatistics } from 'node:v8';
import type { Logger } from '../observability/logger.js';

/** V8's collector as `--expose-gc` exposes it (globalThis.gc); undefined without the flag. */
export type CollectGarbage = (options: NodeJS.GCOptions & { execution: 'async' }) => Promise<void>;

export interface HeapSettlerOptions {
  collect: CollectGarbage | undefined;
  /** No pass queued or running. */
  quiet: () => boolean;
  logger?: Logger;
  /** How long the queue must stay quiet after the last pass (default 10 s). */
  quietMs?: number;
  /** Passes since the last settling that make a burst worth settling (default 50). */
  minPasses?: number;
}

const QUIET_MS = 10_000;
const MIN_PASSES = 50;
const MIB = 1024 * 1024;

/**
 * Gives the heap back after a burst of passes (a first sync, a policy change, a relist).
 *
 * V8 keeps the pages a burst made it commit: an ordinary full collection frees the objects but
 * not the pages between the survivors, and V8's memory reducer, which would compact them, runs
 * only when its own heuristics judge the process idle. At 10,000 shares the committed heap
 * settled anywhere between 41 and 55 MiB for the same 38-41 MB live, run to run. Once a burst is over (the queue
 * quiet for `quietMs` after at least `minPasses` passes) one memory-reducing collection (V8's
 * "last resort": compacting, pages released) brings it down to what is live. It runs once per
 * burst, never in steady state, where passes are few or never let the queue rest.
 */
export class HeapSettler {
  readonly #options: HeapSettlerOptions;
  #passes = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: HeapSettlerOptions) {
    this.#options = options;
  }

  /** Whether V8's collector is exposed (the Deployment's NODE_OPTIONS has --expose-gc). */
  get enabled(): boolean {
    return this.#options.collect !== undefined;
  }

  /** Called after every pass: restarts the quiet period. */
  passDone(): void {
    if (!this.enabled || this.#stopped) return;
    this.#passes += 1;
    if (this.#passes < (this.#options.minPasses ?? MIN_PASSES)) return;
    if (this.#timer) this.#timer.refresh();
    else {
      this.#timer = setTimeout(() => void this.#settle(), this.#options.quietMs ?? QUIET_MS);
      this.#timer.unref();
    }
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #settle(): Promise<void> {
    this.#timer = undefined;
    const collect = this.#options.collect;
    // A pass still running (or queued) will call passDone again when it ends.
    if (this.#stopped || !collect || !this.#options.quiet()) return;
    const passes = this.#passes;
    this.#passes = 0;
    const before = getHeapStatistics();
    const startedAt = performance.now();
    try {
      await collect({ type: 'major', flavor: 'last-resort', execution: 'async' });
    } catch (error: unknown) {
      this.#options.logger?.warn({ err: error }, 'settling the heap after a burst failed');
      return;
    }
    const after = getHeapStatistics();
    this.#options.logger?.debug(
      {
        passes,
        ms: Math.round(performance.now() - startedAt),
        committedMiB: [before, after].map((s) => Math.round(s.total_heap_size / MIB)),
        usedMiB: [before, after].map((s) => Math.round(s.used_heap_size / MIB)),
      },
      'heap settled after a burst of passes',
    );
  }
}
