import perfHooks from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EVENT_LOOP_SAMPLE_MS, OperatorMetrics } from '../../src/observability/metrics.js';

describe('runtime metrics', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('sample the event loop every 100 ms, not every 10 ms (prom-client default: 100 wake-ups a second when idle)', async () => {
    const monitor = vi.spyOn(perfHooks, 'monitorEventLoopDelay');
    const metrics = new OperatorMetrics({ defaultMetrics: true });
    expect(EVENT_LOOP_SAMPLE_MS).toBe(100);
    expect(monitor).toHaveBeenCalledWith({ resolution: EVENT_LOOP_SAMPLE_MS });
    // The lag series are still exported.
    expect(await metrics.registry.metrics()).toContain('nodejs_eventloop_lag_p99_seconds');
  });
});
