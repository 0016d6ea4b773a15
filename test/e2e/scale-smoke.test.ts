/**
 * The scale benchmark (npm run bench:scale) at a small size, as CI runs it: the figures it
 * prints are timings on whatever machine runs it, so this checks only the end state and the
 * rate limit, which hold on any machine.
 */
import { expect, it } from 'vitest';
import { runScaleBench } from '../bench/scale/scale-bench.js';

const OPENAI_MAX_RPS = 50;

it('500 shares over 100 checkpoints converge to exactly the wanted permissions, never above the rate limit', {
  timeout: 120_000,
}, async () => {
  const figures = await runScaleBench({
    shares: 500,
    checkpoints: 100,
    seed: 12,
    openaiMaxRps: OPENAI_MAX_RPS,
    idleSeconds: 0,
  });
  expect(figures.problems, 'every share Ready, each wanted permission held once, nothing else').toEqual([]);
  expect(figures.converged).toBe(true);
  expect(figures.openai.failed, 'OpenAI answered every call with 200').toEqual({});
  // Counted where the stand-in receives them: the limiter spaces starts exactly (on a fake
  // clock, test/unit/rate-limiter.test.ts), but two loaded processes' event loops can bunch a
  // few arrivals into one second. A limiter that let bursts through would show far more.
  expect(figures.openai.peakInOneSecond).toBeLessThanOrEqual(Math.ceil(OPENAI_MAX_RPS * 1.1));
});
