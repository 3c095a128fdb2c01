import { describe, expect, it } from 'vitest';
import { BackfillLedger, eventKey } from '../../src/core/backfill.js';
import { canonicalJson } from '../../src/core/canonical-json.js';
import { keyOf, LiveWindow } from '../../src/core/live-window.js';
import type { EventRecord } from '../../src/core/record.js';
import { Reconciler } from '../../src/core/reconcile.js';

const T0 = Date.parse('2026-11-29T08:00:00Z');

function live(name: string, data: Record<string, unknown>): EventRecord {
  return { id: null, name, created_at: '', user_id: null, project_id: null, data, source: 'live' };
}

function row(id: string, name: string, data: Record<string, unknown>, atMs: number): EventRecord {
  const second = new Date(Math.floor(atMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return { id, name, created_at: second, user_id: null, project_id: null, data, source: 'log' };
}

describe('keyOf', () => {
  it('is the name and the canonical data, whatever the key order, flat payload or not', () => {
    const payloads: Record<string, unknown>[] = [
      { task_id: 't', project_id: 'p', n: 1, ok: true, none: null, gone: undefined },
      { b: 'é"\n', a: 2, '10': 1, '9': 0, __proto__x: 1 },
      { nested: { z: 1, y: [{ b: 1, a: 2 }] }, a: [1, 'x'] },
      { list: [{ x: 1 }] },
      { list: [{ x: 2 }] },
      {},
    ];
    for (const data of payloads) {
      const reordered = Object.fromEntries(Object.entries(data).reverse());
      expect(keyOf('task:update', data)).toBe(`["task:update",${canonicalJson(data)}]`);
      expect(keyOf('task:update', reordered)).toBe(keyOf('task:update', data));
    }
    // Nested objects keep their own keys (a list of keys would have filtered them).
    expect(keyOf('a:b', { list: [{ x: 1 }] })).not.toBe(keyOf('a:b', { list: [{ x: 2 }] }));
    expect(keyOf('a:b', { x: 1 })).not.toBe(keyOf('a:c', { x: 1 }));
  });
});

describe('LiveWindow', () => {
  it('keys no event until one is asked for by key, then finds each by its key in arrival order', () => {
    const window = new LiveWindow();
    const a = window.add(live('task:update', { b: 1, a: 2 }), T0);
    const b = window.add(live('task:update', { x: 1 }), T0 + 1);
    const c = window.add(live('task:update', { a: 2, b: 1 }), T0 + 2);
    expect([a.key, b.key, c.key]).toEqual([undefined, undefined, undefined]);
    expect(window.byKey(eventKey(live('task:update', { a: 2, b: 1 })))).toEqual([a, c]);
    // Events added after an index was built are found too.
    const d = window.add(live('task:update', { b: 1, a: 2 }), T0 + 3);
    expect(window.byKey(eventKey(live('task:update', { a: 2, b: 1 })))).toEqual([a, c, d]);
    expect(window.byKey('nothing')).toEqual([]);
    expect([a.seq, b.seq, c.seq, d.seq]).toEqual([1, 2, 3, 4]);
  });

  it('forgets only what every user released, and says from when events may be missing', () => {
    const window = new LiveWindow();
    const ledgerLike = {};
    const counterLike = {};
    window.share(ledgerLike);
    window.share(counterLike);
    for (let i = 0; i < 5; i += 1) window.add(live('e:v', { i }), T0 + i * 1000);
    const key = eventKey(live('e:v', { i: 1 }));
    expect(window.byKey(key)).toHaveLength(1);
    window.release(ledgerLike, T0 + 3500);
    expect(window.length).toBe(5);
    expect(window.keptFromMs).toBe(Number.NEGATIVE_INFINITY);
    window.release(counterLike, T0 + 1500);
    expect(window.length).toBe(3);
    expect(window.firstSeq).toBe(3);
    expect(window.keptFromMs).toBe(T0 + 1500);
    // The forgotten event is gone from the index as well.
    expect(window.byKey(key)).toEqual([]);
    expect(window.indexOfSeq(4)).toBe(1);
    expect(window.indexOfTime(T0 + 3000)).toBe(1);
  });

  it('lets go of keys and index between gaps, and finds events by key again afterwards', () => {
    const window = new LiveWindow();
    const user = {};
    window.share(user);
    const first = window.add(live('e:v', { i: 1 }), T0);
    window.add(live('e:v', { i: 2 }), T0 + 1);
    const key = eventKey(live('e:v', { i: 1 }));
    expect(window.byKey(key)).toEqual([first]);
    expect(first.key).toBe(key);
    window.forgetKeys();
    expect(first.key).toBeUndefined();
    const third = window.add(live('e:v', { i: 1 }), T0 + 2);
    expect(window.byKey(key)).toEqual([first, third]);
    window.forgetKeys();
    window.release(user, T0 + 1);
    expect(window.byKey(key)).toEqual([third]);
  });

  it('keeps at most maxEvents, the oldest forgotten first', () => {
    const window = new LiveWindow(3);
    for (let i = 0; i < 5; i += 1) window.add(live('e:v', { i }), T0 + i * 1000);
    expect(window.length).toBe(3);
    expect(window.at(0)!.data).toEqual({ i: 2 });
    expect(window.keptFromMs).toBe(T0 + 1001);
    expect(window.lastSeq).toBe(5);
  });

  it('tells when the newest kept event came', () => {
    const window = new LiveWindow();
    const user = {};
    window.share(user);
    expect(window.newestAtMs).toBeNull();
    window.add(live('e:v', { i: 1 }), T0);
    window.add(live('e:v', { i: 2 }), T0 + 40_000);
    window.release(user, T0 + 1);
    expect(window.newestAtMs).toBe(T0 + 40_000);
    window.release(user, T0 + 50_000);
    expect(window.newestAtMs).toBeNull();
  });
});

describe('one window shared by the ledger and the reconciler', () => {
  it('lets the ledger prune without taking from the reconciler what it still counts', () => {
    const window = new LiveWindow();
    const ledger = new BackfillLedger({ window });
    const reconciler = new Reconciler({ window });
    for (let i = 0; i < 5; i += 1) {
      const event = window.add(live('task:update', { i }), T0 + i * 1000, { printed: true });
      reconciler.noteLiveEvent(event);
    }
    ledger.prune(T0 + 3500);
    expect(reconciler.size.live).toBe(5);
    // The ledger no longer pairs what it pruned, though the window keeps it.
    expect(ledger.noteRow(row('a', 'task:update', { i: 1 }, T0 + 1000), T0 + 9000)).toBe('print');
    expect(ledger.noteRow(row('b', 'task:update', { i: 4 }, T0 + 4000), T0 + 9000)).toBe('paired');
    reconciler.prune(T0 + 2500);
    expect(window.length).toBe(2);
  });

  it('absorbs a live twin of a row printed a moment ago without keying events otherwise', () => {
    const window = new LiveWindow();
    const ledger = new BackfillLedger({ window, absorbGraceMs: 3000 });
    expect(ledger.absorbs(live('comment:new', { c: 1 }), T0)).toBe(false);
    expect(ledger.noteRow(row('1', 'comment:new', { c: 1 }, T0 + 1200), T0 + 1300, T0)).toBe('print');
    expect(ledger.absorbs(live('comment:new', { c: 2 }), T0 + 1350)).toBe(false);
    expect(ledger.absorbs(live('comment:new', { c: 1 }), T0 + 1400)).toBe(true);
    // Only once.
    expect(ledger.absorbs(live('comment:new', { c: 1 }), T0 + 1500)).toBe(false);
  });
});
