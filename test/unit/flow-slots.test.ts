import { describe, expect, it } from 'vitest';
import { Slots } from '../../src/flow/slots.js';

describe('Slots', () => {
  it('runs at most its width at once, the rest in order, and frees a slot when a task fails', async () => {
    const slots = new Slots(2);
    const started: number[] = [];
    const release: (() => void)[] = [];
    const tasks = [0, 1, 2, 3].map((i) =>
      slots.run(async () => {
        started.push(i);
        await new Promise<void>((resolve) => release.push(resolve));
        if (i === 0) throw new Error('first fails');
        return i;
      }),
    );
    await expect.poll(() => started).toEqual([0, 1]);
    release.shift()?.();
    await expect(tasks[0]).rejects.toThrow('first fails');
    await expect.poll(() => started).toEqual([0, 1, 2]);
    release.shift()?.();
    await expect.poll(() => started).toEqual([0, 1, 2, 3]);
    release.splice(0).forEach((go) => {
      go();
    });
    expect(await Promise.all(tasks.slice(1))).toEqual([1, 2, 3]);
  });

  it('refuses a width under one', () => {
    expect(() => new Slots(0)).toThrow('at least 1');
  });
});
