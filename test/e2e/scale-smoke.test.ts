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
  expect(figures.openai.peakInOneSecond).toBeLessThanOrEqual(OPENAI_MAX_RPS);
});
