import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/core/record.js';
import { Reconciler } from '../../src/core/reconcile.js';

const T0 = Date.parse('2026-11-29T08:00:00Z');
const SAME = { name: 'task:update', data: { task_id: 'same', project_id: 'p' } };

interface Published {
  id: string;
  name: string;
  data: Record<string, unknown>;
  atMs: number;
}

function rowOf(event: Published): EventRecord {
  const second = new Date(Math.floor(event.atMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return {
    id: event.id,
    name: event.name,
    created_at: second,
    user_id: null,
    project_id: null,
    data: event.data,
    source: 'log',
  };
}

function liveOf(event: Published, receivedAtMs: number): EventRecord {
  return {
    id: null,
    name: event.name,
    created_at: new Date(receivedAtMs).toISOString(),
    user_id: null,
    project_id: null,
    data: event.data,
    source: 'live',
  };
}

/**
 * A server publishing `events` (server time), a listener `skewMs` ahead receiving them 5 ms
 * later unless they fall in one of `gaps` (the listener's clock). Feeds the reconciler in the
 * order things happen and returns it with the events missed.
 */
function scenario(
  events: Published[],
  gaps: [number, number][],
  skewMs = 0,
): { reconciler: Reconciler; missed: Published[] } {
  const reconciler = new Reconciler();
  const missed: Published[] = [];
  const timeline: { atMs: number; run: () => void }[] = [];
  for (const event of events) {
    const receivedAtMs = event.atMs + skewMs + 5;
    if (gaps.some(([from, to]) => receivedAtMs >= from && receivedAtMs < to)) missed.push(event);
    else
      timeline.push({
        atMs: receivedAtMs,
        run: () => reconciler.noteLive(liveOf(event, receivedAtMs), receivedAtMs, true),
      });
  }
  for (const [from, to] of gaps) {
    timeline.push({ atMs: from, run: () => reconciler.down(from) });
    timeline.push({ atMs: to, run: () => reconciler.up(to) });
  }
  timeline.sort((a, b) => a.atMs - b.atMs);
  for (const step of timeline) step.run();
  return { reconciler, missed };
}

/** One task updated every `everyMs` from `fromMs` to `toMs`. */
function steady(fromMs: number, toMs: number, everyMs: number, prefix = 's'): Published[] {
  const out: Published[] = [];
  for (let t = fromMs, i = 0; t < toMs; t += everyMs, i += 1) out.push({ id: `${prefix}${i}`, ...SAME, atMs: t });
  return out;
}

const unique = (id: string, atMs: number): Published => ({ id, name: 'asset:new', data: { asset_id: id }, atMs });

function readAll(reconciler: Reconciler, events: Published[], fromMs: number, readAtMs: number): void {
  for (const event of [...events].sort((a, b) => a.atMs - b.atMs)) reconciler.noteRow(rowOf(event));
  reconciler.readDone(fromMs, readAtMs);
}

describe('Reconciler', () => {
  it('prints exactly the identical events a gap missed, between two unique events', () => {
    const events = [...steady(T0, T0 + 6_000, 100), unique('u1', T0 + 1_050), unique('u2', T0 + 5_050)];
    for (const skew of [0, 2_200, -2_700]) {
      const { reconciler, missed } = scenario(events, [[T0 + skew + 3_020, T0 + skew + 3_480]], skew);
      expect(missed.length).toBeGreaterThan(3);
      readAll(reconciler, events, T0 - 10_000, T0 + skew + 20_000);
      const { print } = reconciler.decide(T0 + skew + 20_000);
      expect(print.map((r) => r.name)).toEqual(missed.map((e) => e.name));
      expect(reconciler.pending).toBe(0);
    }
  });

  it('waits until every row the count needs was written before a read began', () => {
    const events = [...steady(T0, T0 + 6_000, 100), unique('u1', T0 + 1_050), unique('u2', T0 + 5_050)];
    const { reconciler, missed } = scenario(events, [[T0 + 3_020, T0 + 3_480]]);
    // Read too soon after u2 for its second and the tolerance after it to be complete.
    readAll(reconciler, events, T0 - 5_000, T0 + 6_000);
    expect(reconciler.decide(T0 + 6_000).print).toEqual([]);
    expect(reconciler.pending).toBe(1);
    reconciler.readDone(T0 + 1_000, T0 + 20_000);
    expect(reconciler.decide(T0 + 20_000).print).toHaveLength(missed.length);
  });

  it('decides nothing while only identical events follow the gap, until the log goes quiet', () => {
    const events = [...steady(T0, T0 + 8_000, 100), unique('u1', T0 + 1_050)];
    const { reconciler, missed } = scenario(events, [[T0 + 3_020, T0 + 3_480]]);
    readAll(reconciler, events, T0 - 5_000, T0 + 12_000);
    expect(reconciler.decide(T0 + 12_000).print).toEqual([]);
    // Quiet from T0 + 8 s: a read late enough sees ten seconds without a row.
    reconciler.readDone(T0 + 7_000, T0 + 25_000);
    expect(reconciler.decide(T0 + 25_000).print).toHaveLength(missed.length);
  });

  it('gives a gap up after a while when nothing can cut the run (the fast path stands)', () => {
    const events = steady(T0, T0 + 200_000, 100);
    const { reconciler } = scenario(events, [[T0 + 3_020, T0 + 3_480]]);
    readAll(
      reconciler,
      events.filter((e) => e.atMs < T0 + 10_000),
      T0 - 5_000,
      T0 + 15_000,
    );
    expect(reconciler.decide(T0 + 15_000).print).toEqual([]);
    expect(reconciler.decide(T0 + 130_000).print).toEqual([]);
    expect(reconciler.pending).toBe(0);
    expect(reconciler.givenUp).toBe(1);
  });

  it('counts rows printed by the fast path and live events taken for their twins', () => {
    const events = [...steady(T0, T0 + 6_000, 100), unique('u1', T0 + 1_050), unique('u2', T0 + 5_050)];
    const { reconciler, missed } = scenario(events, [[T0 + 3_020, T0 + 3_480]]);
    readAll(reconciler, events, T0 - 5_000, T0 + 20_000);
    // The fast path printed two of the missed ones already.
    reconciler.rowPrinted(missed[0]!.id);
    reconciler.rowPrinted(missed[1]!.id);
    expect(reconciler.decide(T0 + 20_000).print).toHaveLength(missed.length - 2);
  });

  it('owes the row of a live event that was wrongly taken for a printed row’s twin', () => {
    const events = [...steady(T0, T0 + 2_000, 500), unique('u1', T0 + 150), unique('u2', T0 + 4_050)];
    const reconciler = new Reconciler();
    for (const e of events.sort((a, b) => a.atMs - b.atMs)) {
      // The third identical event was swallowed by the fast path: received, not printed.
      reconciler.noteLive(liveOf(e, e.atMs + 5), e.atMs + 5, e.id !== 's2');
    }
    readAll(reconciler, events, T0 - 5_000, T0 + 20_000);
    expect(reconciler.decide(T0 + 20_000).print.map((r) => r.id)).toEqual(['s2']);
  });

  it('owes every twin taken wrongly in the millisecond of a cut, the ones received after it too', () => {
    // At hundreds of events a second many arrive in one millisecond. Two live events are taken
    // for the twins of rows printed a moment ago (one-a, two-a), and a unique event comes between
    // them in the same millisecond: it cuts the segment of the first, and the second, after it
    // in arrival order, must not be counted as decided by that segment (it was: lost).
    const one = { name: 'task:update', data: { task_id: 'one', project_id: 'p' } };
    const two = { name: 'task:update', data: { task_id: 'two', project_id: 'p' } };
    const events: Published[] = [
      unique('u0', T0 + 100),
      { id: 'one-a', ...one, atMs: T0 + 1_000 },
      { id: 'two-a', ...two, atMs: T0 + 1_001 },
      { id: 'one-b', ...one, atMs: T0 + 2_000 },
      unique('u1', T0 + 2_000),
      { id: 'two-b', ...two, atMs: T0 + 2_000 },
      unique('u2', T0 + 5_000),
    ];
    const reconciler = new Reconciler();
    const at = (e: Published) => Math.floor(e.atMs / 100) * 100 + 5;
    for (const e of events) reconciler.noteLive(liveOf(e, at(e)), at(e), !e.id.endsWith('-b'));
    readAll(reconciler, events, T0 - 5_000, T0 + 20_000);
    expect(reconciler.decide(T0 + 20_000).print.map((r) => r.id)).toEqual(['one-b', 'two-b']);
    expect(reconciler.pending).toBe(0);
  });

  it('reads on forward from a gap for a cut before it, and not 30 s back at once', () => {
    const events = Array.from({ length: 300 }, (_, i) => unique(`u${i}`, T0 + i * 100));
    const { reconciler, missed } = scenario(events, [[T0 + 20_020, T0 + 20_480]]);
    /** A read from `fromMs` that began at `readAtMs`: the rows written by then. */
    const read = (fromMs: number, readAtMs: number) => {
      for (const e of events)
        if (e.atMs >= Math.floor(fromMs / 1000) * 1000 && e.atMs < readAtMs) reconciler.noteRow(rowOf(e));
      reconciler.readDone(fromMs, readAtMs);
    };
    // The catch-up read just after the reconnect, 10 s back; then counting reads 2.5 s apart.
    read(T0 + 10_000, T0 + 21_000);
    const froms: number[] = [];
    const printed: string[] = [];
    for (let now = T0 + 23_500; reconciler.pending > 0 && now < T0 + 60_000; now += 2_500) {
      const from = reconciler.readFromMs()!;
      froms.push(from);
      read(from, now);
      printed.push(...reconciler.decide(now).print.map((r) => r.id!));
    }
    expect(reconciler.pending).toBe(0);
    expect(printed).toEqual(missed.map((e) => e.id));
    expect(Math.min(...froms)).toBeGreaterThanOrEqual(T0 + 10_000);
  });

  it('tells identical company from a row alone', () => {
    const events = [...steady(T0, T0 + 1_000, 300), unique('u1', T0 + 4_000)];
    const reconciler = new Reconciler();
    readAll(reconciler, events, T0 - 5_000, T0 + 20_000);
    expect(reconciler.ambiguous(rowOf(events[0]!))).toBe(true);
    expect(reconciler.ambiguous(rowOf(unique('u1', T0 + 4_000)))).toBe(false);
  });

  it('forgets decided stretches when pruned', () => {
    const events = [...steady(T0, T0 + 6_000, 100), unique('u1', T0 + 1_050), unique('u2', T0 + 5_050)];
    const { reconciler } = scenario(events, [[T0 + 3_020, T0 + 3_480]]);
    readAll(reconciler, events, T0 - 5_000, T0 + 20_000);
    reconciler.decide(T0 + 20_000);
    reconciler.prune(T0 + 200_000);
    expect(reconciler.size).toEqual({ live: 0, rows: 0, gaps: 0 });
  });
});
