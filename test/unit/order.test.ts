import { describe, expect, it } from 'vitest';
import { compareText } from '../../src/api/order.js';

describe('compareText', () => {
  it('orders by code units, as sort() does, not by a locale (uppercase before lowercase)', () => {
    const ids = ['proj_b', 'proj_B', 'proj_a', 'proj_A', 'proj_ä', 'proj_10', 'proj_9'];
    expect([...ids].sort(compareText)).toEqual([...ids].sort());
    expect([...ids].sort(compareText)).toEqual([
      'proj_10',
      'proj_9',
      'proj_A',
      'proj_B',
      'proj_a',
      'proj_b',
      'proj_ä',
    ]);
  });

  it('is zero only for equal strings', () => {
    expect(compareText('ns/a', 'ns/a')).toBe(0);
    expect(compareText('ns/a', 'ns/b')).toBeLessThan(0);
    expect(compareText('ns/b', 'ns/a')).toBeGreaterThan(0);
  });
});
