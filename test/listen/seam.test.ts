/** The seam on a fake clock: when the history is read, and what the held events become. */
import { describe, expect, it } from 'vitest';
import { Seam } from '../../src/listen/seam.js';

/** A sleep that ends only when the test says so. */
function fakeSleep(): { sleep: (ms: number) => Promise<void>; asked: number[]; elapse: () => void } {
  const asked: number[] = [];
  const waiting: (() => void)[] = [];
  return {
    sleep: (ms) => {
      asked.push(ms);
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    asked,
    elapse: () => waiting.splice(0).forEach((resolve) => resolve()),
  };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Seam', () => {
  it('reads the history as soon as the stream is up, without waiting out the clock', async () => {
    const clock = fakeSleep();
    const seam = new Seam<string>(10_000, clock.sleep);
    let ready = false;
    void seam.readyToRead().then(() => (ready = true));
    await flush();
    expect(ready).toBe(false);
    expect(clock.asked).toEqual([10_000]);
    seam.streamUp();
    await flush();
    expect(ready).toBe(true);
  });

  it('reads the history anyway once the wait is over with the stream still down', async () => {
    const clock = fakeSleep();
    const seam = new Seam<string>(10_000, clock.sleep);
    let ready = false;
    void seam.readyToRead().then(() => (ready = true));
    await flush();
    expect(ready).toBe(false);
    clock.elapse();
    await flush();
    expect(ready).toBe(true);
    expect(seam.holding).toBe(true);
  });

  it('lets the held events go in order, but for those a history row was printed in place of', () => {
    const seam = new Seam<string>(10_000, fakeSleep().sleep);
    const released: string[] = [];
    const replaced = new Set(['b']);
    for (const name of ['a', 'b', 'c']) {
      seam.hold({ record: name, replaced: () => replaced.has(name), released: () => released.push(name) });
    }
    // Decided at release: a row read after the event was held may still replace it.
    replaced.add('c');
    expect(seam.release()).toEqual(['a']);
    expect(released).toEqual(['a']);
    expect(seam.holding).toBe(false);
    // Over: nothing more is held or released.
    seam.hold({ record: 'd', replaced: () => false, released: () => released.push('d') });
    expect(seam.release()).toEqual([]);
  });
});
