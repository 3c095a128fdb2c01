/**
 * The catch-up scheduler on a fake clock: reads one at a time, requests joined, counting reads
 * planned by timer, retries after a failed read, nothing after stop.
 */
import { describe, expect, it } from 'vitest';
import { CatchUpScheduler, type ReadKind, type Timers } from '../../src/listen/catch-up.js';

/** Timers that fire only when the test advances the clock. */
class FakeTimers implements Timers {
  now = 0;
  private next = 1;
  private readonly due = new Map<number, { at: number; callback: () => void }>();
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.next++;
    this.due.set(id, { at: this.now + ms, callback });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }
  get planned(): number {
    return this.due.size;
  }
  async advance(ms: number): Promise<void> {
    this.now += ms;
    for (const [id, timer] of [...this.due].sort((a, b) => a[1].at - b[1].at)) {
      if (timer.at > this.now) continue;
      this.due.delete(id);
      timer.callback();
    }
    await flush();
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Harness {
  scheduler: CatchUpScheduler;
  timers: FakeTimers;
  reads: { sinceMs: number; kind: ReadKind }[];
  results: { kind: ReadKind; sinceMs: number; queued: number; announced: boolean }[];
  /** Lets the read under way finish, queuing `queued` records. */
  finish(queued?: number): Promise<void>;
  fail(error: Error): Promise<void>;
  active: { value: boolean };
  errors: unknown[];
}

function harness(): Harness {
  const timers = new FakeTimers();
  const reads: Harness['reads'] = [];
  const results: Harness['results'] = [];
  const errors: unknown[] = [];
  const active = { value: true };
  let settle: { resolve: (n: number) => void; reject: (e: Error) => void } | null = null;
  const scheduler = new CatchUpScheduler({
    clock: { now: () => timers.now },
    timers,
    read: (sinceMs, kind) => {
      reads.push({ sinceMs, kind });
      return new Promise<number>((resolve, reject) => (settle = { resolve, reject }));
    },
    active: () => active.value,
    onRead: (result) => results.push(result),
    onError: (error) => {
      errors.push(error);
      return 5_000;
    },
    sleep: (ms) => new Promise<void>((resolve) => timers.setTimeout(resolve, ms)),
  });
  return {
    scheduler,
    timers,
    reads,
    results,
    errors,
    active,
    async finish(queued = 0) {
      const current = settle!;
      settle = null;
      current.resolve(queued);
      await flush();
    },
    async fail(error) {
      const current = settle!;
      settle = null;
      current.reject(error);
      await flush();
    },
  };
}

describe('CatchUpScheduler', () => {
  it('runs one read at a time and joins the requests made meanwhile from the earliest second', async () => {
    const h = harness();
    h.scheduler.backfillFrom(10_000);
    h.scheduler.backfillFrom(8_000, true);
    await flush();
    expect(h.reads).toEqual([{ sinceMs: 10_000, kind: 'backfill' }]);
    h.scheduler.backfillFrom(6_000, true);
    h.scheduler.backfillFrom(7_000, true);
    await h.finish(3);
    expect(h.results).toEqual([{ kind: 'backfill', sinceMs: 10_000, queued: 3, announced: true }]);
    expect(h.reads[1]).toEqual({ sinceMs: 6_000, kind: 'backfill' });
    await h.finish(0);
    // The joined read was asked for quietly: not announced.
    expect(h.results[1]).toEqual({ kind: 'backfill', sinceMs: 6_000, queued: 0, announced: false });
    await h.scheduler.idle();
  });

  it('reads for the count when the timer says, the latest plan replacing the one before', async () => {
    const h = harness();
    h.scheduler.countLater(20_000, 2_500);
    h.scheduler.countLater(21_000, 2_500);
    expect(h.timers.planned).toBe(1);
    expect(h.scheduler.earliestPendingMs).toBe(21_000);
    await h.timers.advance(2_499);
    expect(h.reads).toEqual([]);
    await h.timers.advance(1);
    expect(h.reads).toEqual([{ sinceMs: 21_000, kind: 'count' }]);
    await h.finish(2);
    expect(h.results).toEqual([{ kind: 'count', sinceMs: 21_000, queued: 2, announced: false }]);
  });

  it('takes a catch-up read before a counting read waiting with it', async () => {
    const h = harness();
    h.scheduler.backfillFrom(1_000);
    await flush();
    h.scheduler.countFrom(500);
    h.scheduler.backfillFrom(2_000);
    await h.finish();
    expect(h.reads.map((r) => r.kind)).toEqual(['backfill', 'backfill']);
    await h.finish();
    expect(h.reads.map((r) => r.kind)).toEqual(['backfill', 'backfill', 'count']);
    await h.finish();
  });

  it('tries a failed read again after the wait the caller gives, from the same second', async () => {
    const h = harness();
    h.scheduler.backfillFrom(4_000);
    await flush();
    await h.fail(new Error('HTTP 502'));
    expect(h.errors).toHaveLength(1);
    expect(h.reads).toHaveLength(1);
    await h.timers.advance(4_999);
    expect(h.reads).toHaveLength(1);
    await h.timers.advance(1);
    expect(h.reads).toEqual([
      { sinceMs: 4_000, kind: 'backfill' },
      { sinceMs: 4_000, kind: 'backfill' },
    ]);
    await h.finish(1);
    // Still the reconnect's read: it is announced.
    expect(h.results).toEqual([{ kind: 'backfill', sinceMs: 4_000, queued: 1, announced: true }]);
  });

  it('plans and starts nothing once stopped or inactive', async () => {
    const h = harness();
    h.scheduler.countLater(1_000, 1_000);
    h.scheduler.stop();
    expect(h.timers.planned).toBe(0);
    h.active.value = false;
    h.scheduler.backfillFrom(1_000);
    h.scheduler.countLater(1_000, 1_000);
    await h.timers.advance(5_000);
    expect(h.reads).toEqual([]);
  });
});
