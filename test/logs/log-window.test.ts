import { describe, expect, it } from 'vitest';
import { nextWidth, widthAtDensity, WindowPlanner, type LogWindow } from '../../src/core/log-window.js';

const options = { targetRows: 100, maxGrowth: 8 };

/** Drives a planner over a fake log of row seconds, as the reader would with a budget. */
function walk(seconds: number[], start: number, end: number, budget: number) {
  const planner = new WindowPlanner(start, end, options);
  const windows: { window: LogWindow; rows: number }[] = [];
  let overflows = 0;
  for (let w = planner.next(); w; w = planner.next()) {
    const inside = seconds.filter((s) => s >= w.start && s < w.end);
    if (inside.length > budget && w.end - w.start > 1) {
      const newest = inside.slice(-budget);
      planner.overflowed(w, newest.length, newest[0]!);
      overflows += 1;
      continue;
    }
    windows.push({ window: w, rows: inside.length });
    planner.completed(w, inside.length, inside[0] ?? null);
  }
  return { windows, overflows, position: planner.position };
}

describe('window planning', () => {
  it('grows after a sparse window and shrinks after a dense one, never below a second', () => {
    const w = { start: 0, end: 10 };
    expect(nextWidth(w, 0, null, options)).toBe(80);
    expect(nextWidth(w, 1, 9, options)).toBe(80);
    expect(nextWidth(w, 100, 0, options)).toBe(10);
    expect(nextWidth(w, 400, 0, options)).toBe(2);
    // Rows bunched at the end of a window tell its density better than the window's width.
    expect(nextWidth({ start: 0, end: 1000 }, 100, 990, options)).toBe(10);
    expect(nextWidth({ start: 0, end: 1 }, 5000, 0, options)).toBe(1);
  });

  it('sizes a retry from the density that the newest rows of a full window showed', () => {
    // 500 rows in the newest 5 seconds of a window: 1 second holds 100.
    expect(widthAtDensity({ start: 0, end: 1000 }, 500, 995, options)).toBe(1);
    expect(widthAtDensity({ start: 0, end: 1000 }, 500, 900, options)).toBe(20);
    const planner = new WindowPlanner(0, 1000, options);
    planner.overflowed({ start: 0, end: 1000 }, 500, 900);
    expect(planner.next()).toEqual({ start: 0, end: 20 });
  });

  it('covers the range exactly once, in order, whatever the density', () => {
    const seconds: number[] = [];
    for (let s = 1000; s < 2000; s += 7) seconds.push(s); // sparse
    for (let i = 0; i < 900; i += 1) seconds.push(2000 + Math.floor(i / 3)); // dense
    for (let i = 0; i < 2500; i += 1) seconds.push(2400); // one very dense second
    for (let s = 2401; s < 5000; s += 50) seconds.push(s);
    seconds.sort((a, b) => a - b);
    const { windows, position } = walk(seconds, 0, 6000, 300);
    let expectedStart = 0;
    for (const { window } of windows) {
      expect(window.start).toBe(expectedStart);
      expect(window.end).toBeGreaterThan(window.start);
      expectedStart = window.end;
    }
    expect(expectedStart).toBe(6000);
    expect(position).toBe(6000);
    expect(windows.reduce((sum, w) => sum + w.rows, 0)).toBe(seconds.length);
    // The dense second was read as a window of its own.
    expect(windows.some((w) => w.window.start === 2400 && w.window.end === 2401 && w.rows === 2500)).toBe(true);
    // No window but a single second went over the budget.
    expect(windows.every((w) => w.rows <= 300 || w.window.end - w.window.start === 1)).toBe(true);
  });

  it('finds a log that starts long after the range does in few steps', () => {
    const seconds = Array.from({ length: 1000 }, (_, i) => 1_700_000_000 + i * 10);
    const { windows, overflows } = walk(seconds, 0, 1_700_020_000, 400);
    expect(windows.length + overflows).toBeLessThan(40);
    expect(windows.reduce((sum, w) => sum + w.rows, 0)).toBe(1000);
  });

  it('refuses to narrow a single second', () => {
    const planner = new WindowPlanner(10, 11, options);
    expect(() => planner.overflowed({ start: 10, end: 11 }, 5, 10)).toThrow(RangeError);
  });
});
