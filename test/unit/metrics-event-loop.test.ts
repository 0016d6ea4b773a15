import perfHooks from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EVENT_LOOP_SAMPLE_MS, OperatorMetrics } from '../../src/observability/metrics.js';
import { parsePrometheusText, samplesOf } from '../support/prometheus.js';

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
    const exposition = parsePrometheusText(await metrics.registry.metrics());
    expect(samplesOf(exposition, 'nodejs_eventloop_lag_p99_seconds')).toHaveLength(1);
  });

  it("parse as Prometheus does when a lag gauge has no sample yet: prom-client writes 'Nan'", () => {
    const exposition = parsePrometheusText('# TYPE lag gauge\nlag Nan\nother NaN\n');
    expect(samplesOf(exposition, 'lag')[0]?.value).toBeNaN();
    expect(samplesOf(exposition, 'other')[0]?.value).toBeNaN();
  });
});
