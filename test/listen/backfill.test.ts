import { describe, expect, it } from 'vitest';
import { BackfillLedger, canonicalJson, eventKey } from '../../src/core/backfill.js';
import type { EventRecord } from '../../src/core/record.js';

const T0 = Date.parse('2026-11-29T08:00:00Z');

function live(name: string, data: Record<string, unknown>): EventRecord {
  return { id: null, name, created_at: '', user_id: null, project_id: null, data, source: 'live' };
}

function row(id: string, name: string, data: Record<string, unknown>, atMs: number): EventRecord {
  const second = new Date(Math.floor(atMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return { id, name, created_at: second, user_id: null, project_id: null, data, source: 'log' };
}

describe('canonicalJson and eventKey', () => {
  it('gives equal text for equal data whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 0 }] } })).toBe(
      canonicalJson({ a: { c: [3, { e: 0, f: 1 }], d: 2 }, b: 1 }),
    );
    // What JSON.stringify would give for the sorted object: undefined left out of objects, null in arrays.
    const odd = { z: [undefined, 1, { y: undefined, x: 'é"\n' }], a: null, m: undefined };
    expect(canonicalJson(odd)).toBe('{"a":null,"z":[null,1,{"x":"é\\"\\n"}]}');
    expect(JSON.parse(canonicalJson(odd))).toEqual(JSON.parse(JSON.stringify(odd)));
    expect(eventKey(live('task:update', { task_id: 't' }))).not.toBe(eventKey(live('task:new', { task_id: 't' })));
  });
});

describe('BackfillLedger', () => {
  it('pairs a row with the live event it was, and prints the one missed', () => {
    const ledger = new BackfillLedger();
    ledger.noteLive(live('task:update', { task_id: 'a' }), T0 + 300);
    expect(ledger.noteRow(row('1', 'task:update', { task_id: 'a' }, T0 + 250), T0 + 9000)).toBe('paired');
    expect(ledger.noteRow(row('2', 'task:update', { task_id: 'b' }, T0 + 2000), T0 + 9000)).toBe('print');
  });

  it('counts identical events: two in one second, one seen live, gives one backfilled row', () => {
    const ledger = new BackfillLedger();
    const data = { task_id: 'same', project_id: 'p' };
    ledger.noteLive(live('task:update', data), T0 + 100);
    expect(ledger.noteRow(row('1', 'task:update', data, T0 + 50), T0 + 9000)).toBe('paired');
    expect(ledger.noteRow(row('2', 'task:update', data, T0 + 700), T0 + 9000)).toBe('print');
  });

  it('pairs identical events oldest with oldest, so a later live one is not taken by an earlier row', () => {
    const ledger = new BackfillLedger({ toleranceMs: 1000 });
    const data = { task_id: 'x' };
    const first = ledger.noteLive(live('task:update', data), T0 + 500)!;
    const second = ledger.noteLive(live('task:update', data), T0 + 2500)!;
    expect(ledger.noteRow(row('1', 'task:update', data, T0 + 400), T0 + 9000)).toBe('paired');
    expect(first.paired).toBe(true);
    expect(second.paired).toBe(false);
    expect(ledger.noteRow(row('2', 'task:update', data, T0 + 2400), T0 + 9000)).toBe('paired');
    expect(second.paired).toBe(true);
  });

  it('does not pair events far apart in time, whatever their data', () => {
    const ledger = new BackfillLedger({ toleranceMs: 2000 });
    const data = { task_id: 'x' };
    ledger.noteLive(live('task:update', data), T0);
    expect(ledger.noteRow(row('1', 'task:update', data, T0 + 10_000), T0 + 11_000)).toBe('print');
    // …nor a row before the live event by more than the tolerance.
    ledger.noteLive(live('task:update', data), T0 + 30_000);
    expect(ledger.noteRow(row('2', 'task:update', data, T0 + 26_000), T0 + 31_000)).toBe('print');
  });

  it('tolerates the second of truncation plus the skew either way', () => {
    const ledger = new BackfillLedger({ toleranceMs: 2000 });
    const data = { task_id: 'x' };
    // The server clock 1.5 s ahead: the row's second is after the receipt.
    ledger.noteLive(live('asset:new', data), T0);
    expect(ledger.noteRow(row('1', 'asset:new', data, T0 + 1500), T0 + 5000)).toBe('paired');
    // The server clock behind and the event late: received 2.9 s after its second began.
    ledger.noteLive(live('asset:new', { ...data, n: 2 }), T0 + 2900);
    expect(ledger.noteRow(row('2', 'asset:new', { n: 2, ...data }, T0), T0 + 5000)).toBe('paired');
  });

  it('prints a row in place of the held live event it pairs with, which is then dropped', () => {
    const ledger = new BackfillLedger();
    const held = ledger.noteLive(live('comment:new', { comment_id: 'c' }), T0 + 400, { held: true })!;
    expect(ledger.noteRow(row('1', 'comment:new', { comment_id: 'c' }, T0 + 300), T0 + 900, T0)).toBe('print');
    expect(held.paired).toBe(true);
    // Once printed, a held event pairs like any other.
    const later = ledger.noteLive(live('comment:new', { comment_id: 'd' }), T0 + 500, { held: true })!;
    later.held = false;
    expect(ledger.noteRow(row('2', 'comment:new', { comment_id: 'd' }, T0 + 300), T0 + 900, T0)).toBe('paired');
  });

  it('skips a row printed by an earlier, overlapping read', () => {
    const ledger = new BackfillLedger();
    const r = row('1', 'shot:new', { shot_id: 's' }, T0);
    expect(ledger.noteRow(r, T0 + 5000)).toBe('print');
    expect(ledger.noteRow(r, T0 + 10_000)).toBe('seen');
  });

  it('skips ids the caller says it printed already', () => {
    const ledger = new BackfillLedger();
    ledger.markSeen(['a', 'b'], T0);
    expect(ledger.noteRow(row('a', 'shot:new', {}, T0), T0 + 100)).toBe('seen');
    expect(ledger.noteRow(row('c', 'shot:new', {}, T0), T0 + 100)).toBe('print');
  });

  it('lets a recent printed row absorb its live twin that arrives just after the read', () => {
    const ledger = new BackfillLedger({ absorbGraceMs: 3000 });
    const connectedAt = T0;
    const data = { comment_id: 'c' };
    expect(ledger.noteRow(row('1', 'comment:new', data, T0 + 1200), T0 + 1300, connectedAt)).toBe('print');
    expect(ledger.noteLive(live('comment:new', data), T0 + 1400)).toBeNull();
    // Only once: the next identical live event is a new event.
    expect(ledger.noteLive(live('comment:new', data), T0 + 1500)).not.toBeNull();
  });

  it('does not let a row absorb after the grace period, nor a row from before the connection', () => {
    const ledger = new BackfillLedger({ absorbGraceMs: 1000, toleranceMs: 1000 });
    const data = { comment_id: 'c' };
    ledger.noteRow(row('1', 'comment:new', data, T0), T0 + 200, T0);
    expect(ledger.noteLive(live('comment:new', data), T0 + 1500)).not.toBeNull();

    // Emitted while we were disconnected, long before the connection came up.
    ledger.noteRow(row('2', 'comment:new', { other: 1 }, T0 + 10_000), T0 + 20_000, T0 + 19_000);
    expect(ledger.noteLive(live('comment:new', { other: 1 }), T0 + 20_100)).not.toBeNull();

    // Read while the stream was down: nothing can be on its way.
    ledger.noteRow(row('3', 'comment:new', { third: 1 }, T0 + 30_000), T0 + 30_100, undefined);
    expect(ledger.noteLive(live('comment:new', { third: 1 }), T0 + 30_200)).not.toBeNull();
  });

  it('forgets what is older than the prune point, and bounds the live memory', () => {
    const ledger = new BackfillLedger({ maxLiveEntries: 3 });
    for (let i = 0; i < 5; i += 1) ledger.noteLive(live('task:update', { i }), T0 + i * 1000);
    expect(ledger.size.live).toBe(3);
    ledger.noteRow(row('a', 'x:y', {}, T0), T0, T0);
    ledger.prune(T0 + 3500);
    expect(ledger.size).toEqual({ live: 1, rows: 0, ids: 0 });
    // A pruned live event can no longer pair: its row is printed.
    expect(ledger.noteRow(row('b', 'task:update', { i: 2 }, T0 + 2000), T0 + 5000)).toBe('print');
    expect(ledger.noteRow(row('c', 'task:update', { i: 4 }, T0 + 4000), T0 + 5000)).toBe('paired');
  });
});
