import { describe, expect, it } from 'vitest';
import {
  advance,
  describeQuery,
  mismatch,
  newCheckpoint,
  OVERLAP_SECONDS,
  parseCheckpoint,
  RecentIds,
  resumeSecond,
  serializeCheckpoint,
  type CheckpointIdentity,
} from '../../src/core/checkpoint.js';
import { UsageError } from '../../src/errors.js';

const identity: CheckpointIdentity = {
  host: 'http://127.0.0.1:1/api',
  profile: 'default',
  userId: 'u1',
  log: 'events',
  query: describeQuery({ include: ['task:*'], exclude: ['task:update'] }),
  output: '/tmp/events.ndjson',
};

describe('checkpoint state', () => {
  it('starts at --since, then resumes a little before where it stopped', () => {
    const state = newCheckpoint(identity, 1000, 0, 5);
    expect(resumeSecond(state)).toBe(1000);
    const recent = new RecentIds();
    recent.add('a', 1999);
    const next = advance(state, { position: 2000, recent, committedBytes: 120, added: 1, nowMs: 6 });
    expect(resumeSecond(next)).toBe(2000 - OVERLAP_SECONDS);
    expect(next.events).toBe(1);
    // Never before the first run's start.
    const early = advance(state, { position: 1002, recent, committedBytes: 120, added: 1, nowMs: 6 });
    expect(resumeSecond(early)).toBe(1000);
  });

  it('keeps only the ids of the overlap seconds and never moves back', () => {
    const recent = new RecentIds();
    recent.add('old', 100);
    recent.add('edge', 200 - OVERLAP_SECONDS);
    recent.add('new', 199);
    const state = advance(newCheckpoint(identity, null, 0, 0), {
      position: 200,
      recent,
      committedBytes: 3,
      added: 3,
      nowMs: 1,
    });
    expect(state.recent).toEqual([
      { second: 200 - OVERLAP_SECONDS, ids: ['edge'] },
      { second: 199, ids: ['new'] },
    ]);
    const again = advance(state, {
      position: 150,
      recent: new RecentIds(state.recent),
      committedBytes: 3,
      added: 0,
      nowMs: 2,
    });
    expect(again.position).toBe(200);
    recent.prune(200);
    expect(recent.has('old')).toBe(false);
    expect(recent.has('edge')).toBe(true);
  });

  it('round-trips through its file text', () => {
    const recent = new RecentIds([{ second: 1_764_403_200, ids: ['x', 'y'] }]);
    const state = advance(newCheckpoint(identity, 1_764_400_000, 10, 0), {
      position: 1_764_403_201,
      recent,
      committedBytes: 999,
      added: 2,
      nowMs: 1_764_403_300_123,
    });
    const text = serializeCheckpoint(state);
    expect(text).toContain('"position": "2025-11-29T08:00:01Z"');
    expect(parseCheckpoint(text, 'state.json')).toEqual(state);
  });

  it('refuses damaged or foreign files with a reason, never resetting them', () => {
    const good = JSON.parse(serializeCheckpoint(newCheckpoint(identity, null, 0, 0))) as Record<string, unknown>;
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['{"format":', /not JSON/],
      ['{"hello":1}', /not a kitsu-tail checkpoint/],
      [JSON.stringify({ ...good, version: 99 }), /version 99/],
      [JSON.stringify({ ...good, committed_bytes: -1 }), /committed_bytes/],
      [JSON.stringify({ ...good, position: '2026-11-29T08:00:00.500Z' }), /whole seconds/],
      [JSON.stringify({ ...good, recent: [{ second: '2026-11-29T08:00:00Z', ids: [1] }] }), /recent\[0\]/],
    ];
    for (const [text, reason] of cases) {
      let error: unknown;
      try {
        parseCheckpoint(text, 'state.json');
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(reason);
      expect((error as Error).message).toContain('state.json');
    }
  });

  it('tells another host, profile, account, filter or output apart', () => {
    const state = newCheckpoint(identity, null, 0, 0);
    expect(mismatch(state, identity)).toBeNull();
    expect(mismatch(state, { ...identity, host: 'http://other/api' })).toMatch(/made against http:\/\/127/);
    expect(mismatch(state, { ...identity, profile: 'studio' })).toMatch(/profile "default"/);
    expect(mismatch(state, { ...identity, userId: 'u2' })).toMatch(/another Kitsu account/);
    expect(mismatch(state, { ...identity, query: describeQuery({}) })).toMatch(/patterns task:\* !task:update/);
    expect(mismatch(state, { ...identity, output: null })).toMatch(/add --output/);
    expect(mismatch(state, { ...identity, log: 'logins' })).toMatch(/event log/);
    // The same filters in another order are the same query.
    expect(describeQuery({ projectIds: ['b', 'a'] })).toBe(describeQuery({ projectIds: ['a', 'b'] }));
  });
});
