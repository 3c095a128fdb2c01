import { describe, expect, it } from 'vitest';
import { backoffDelay, backoffWindow } from '../../src/core/backoff.js';
import { seededRandom } from '../helpers/core.js';

describe('backoffDelay', () => {
  it('doubles the window from 500 ms up to the 30 s cap', () => {
    const windows = Array.from({ length: 10 }, (_, attempt) => backoffWindow(attempt));
    expect(windows).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it('draws the delay across the whole window with the injected random', () => {
    expect(backoffDelay(0, { random: () => 0 })).toBe(0);
    expect(backoffDelay(0, { random: () => 0.5 })).toBe(250);
    expect(backoffDelay(3, { random: () => 0.5 })).toBe(2000);
    expect(backoffDelay(3, { random: () => 0.999999 })).toBe(3999);
    expect(backoffDelay(20, { random: () => 0.5 })).toBe(15_000);
  });

  it('honours baseMs and capMs', () => {
    expect(backoffDelay(2, { baseMs: 100, capMs: 1000, random: () => 0.5 })).toBe(200);
    expect(backoffDelay(9, { baseMs: 100, capMs: 1000, random: () => 0.5 })).toBe(500);
  });

  it('survives absurd attempts without overflowing', () => {
    expect(backoffDelay(10_000, { random: () => 0.5 })).toBe(15_000);
    expect(backoffDelay(Number.POSITIVE_INFINITY, { random: () => 0.5 })).toBe(250);
    expect(backoffDelay(-3, { random: () => 0.5 })).toBe(250);
    expect(backoffDelay(Number.NaN, { random: () => 0.5 })).toBe(250);
  });

  it('is deterministic for a seed, stays in its window and spreads (seeded property test)', () => {
    const run = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 2000 }, (_, i) => backoffDelay(i % 12, { random }));
    };
    const a = run(1);
    expect(run(1)).toEqual(a);
    expect(run(2)).not.toEqual(a);
    a.forEach((delay, i) => {
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(backoffWindow(i % 12));
    });
    // Full jitter: capped attempts land all over [0, 30 s], not in a narrow band.
    const capped = a.filter((_, i) => i % 12 >= 6);
    expect(Math.min(...capped)).toBeLessThan(3000);
    expect(Math.max(...capped)).toBeGreaterThan(27_000);
  });
});
