/**
 * Times for new log rows: microseconds, strictly increasing, close to the wall clock.
 *
 * Rows written in one synchronous turn of the event loop (a tight loop of emits, or one
 * `generate(n)`) are stamped one microsecond apart from the first, and a turn that starts in
 * the last few milliseconds of a second waits for the next second first. So a burst of up to
 * a few thousand events always shares one second, as the paging tests need, whatever the
 * speed of the machine.
 */
import { performance } from 'node:perf_hooks';

const GUARD_US = 5_000;

export function wallClockUs(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

export class Timeline {
  private last = -Infinity;
  private inTurn = false;

  /** Rows already stored (a generated history) must stay older than new ones. */
  advanceTo(us: number): void {
    this.last = Math.max(this.last, us);
  }

  next(): number {
    let t: number;
    if (this.inTurn) {
      t = this.last + 1;
    } else {
      this.inTurn = true;
      setImmediate(() => {
        this.inTurn = false;
      });
      t = wallClockUs();
      if (t % 1_000_000 > 1_000_000 - GUARD_US) {
        const nextSecond = (Math.floor(t / 1_000_000) + 1) * 1_000_000;
        while ((t = wallClockUs()) < nextSecond) {
          // A busy wait of at most GUARD_US: the burst that follows must not straddle a second.
        }
      }
    }
    t = Math.max(t, this.last + 1);
    this.last = t;
    return t;
  }
}
