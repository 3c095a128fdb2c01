/**
 * readLog against the sandbox emulating an old server without `limit` (0.19.60), one
 * without a cursor (1.0.3), one with the cursor and the 1000 cap but without 1.0.63's
 * filters and row project_id (1.0.62), and the newest: the same generated history must come
 * back whole, in the server's order, each row once, whatever the paging.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePatterns } from '../../src/core/patterns.js';
import { readLog, readLogNewestFirst, readLogWindows, ONLY_FILES_EVENTS } from '../../src/kitsu/event-log.js';
import type { Session } from '../../src/kitsu/types.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox, StoredEvent } from '../../src/sandbox/types.js';
import { botSession, secondOfStored, storedIds, waitFor } from '../helpers/logs.js';

const VERSIONS = ['0.19.60', '1.0.3', '1.0.62', '1.0.67'];

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe.each(VERSIONS)('readLog on Zou %s', (version) => {
  let sandbox: Sandbox;
  let session: Session;
  let done: () => Promise<void>;
  let dense: StoredEvent[];

  beforeAll(async () => {
    // Same seed on every version: the same history of 6000 events over 3 days.
    sandbox = await startSandbox({ seed: 7, events: 6000, historySpan: 3 * 86_400, emulate: version });
    // 2,500 events inside one second, and a few after it.
    dense = sandbox.control.generate(2500);
    sandbox.control.generate(30);
    ({ session, done } = await botSession(sandbox));
  });

  afterAll(async () => {
    await done?.();
    await sandbox?.close();
  });

  it('reads every stored event oldest first, each once, in the server order', async () => {
    expect(new Set(dense.map(secondOfStored)).size).toBe(1);
    const ids = (await collect(readLog(session, {}))).map((r) => r.id);
    expect(ids).toEqual(storedIds(sandbox));
  });

  it('reads 2,500 events of one second across page boundaries, none lost or repeated', async () => {
    const second = secondOfStored(dense[0]!);
    const records = await collect(
      readLog(session, { since: new Date(second * 1000), until: new Date((second + 1) * 1000) }),
    );
    expect(records.map((r) => r.id)).toEqual(storedIds(sandbox, (e) => secondOfStored(e) === second));
    expect(records.length).toBeGreaterThanOrEqual(2500);
    // More than one page was needed (or a larger one, on servers without the cap).
    const asked = sandbox.control.requests().filter((r) => r.path === 'data/events/last');
    expect(asked.length).toBeGreaterThan(1);
  });

  it('keeps --since inclusive and --until exclusive at whole seconds', async () => {
    const log = sandbox.control.log();
    const from = secondOfStored(log[1000]!);
    const to = secondOfStored(log[3000]!);
    const records = await collect(
      readLog(session, { since: new Date(from * 1000 + 400), until: new Date(to * 1000 + 999) }),
    );
    expect(records.map((r) => r.id)).toEqual(
      storedIds(sandbox, (e) => secondOfStored(e) >= from && secondOfStored(e) < to),
    );
  });

  it('applies filters the server may not know, with the same answer on every version', async () => {
    const filter = parsePatterns(['task:*', '!task:update']);
    const project = sandbox.projects[0]!.id;
    const records = await collect(readLog(session, { filter, projectIds: [project] }));
    const expected = storedIds(sandbox, (e) => filter.matches(e.name) && e.project_id === project);
    expect(expected.length).toBeGreaterThan(10);
    expect(records.map((r) => r.id)).toEqual(expected);
    const person = sandbox.users.artist.id;
    const people = await collect(readLog(session, { personIds: [person], filter: parsePatterns(['*:*']) }));
    const expectedPeople = storedIds(sandbox, (e) => e.user_id === person);
    expect(expectedPeople.length).toBeGreaterThan(10);
    expect(people.map((r) => r.id)).toEqual(expectedPeople);
    const files = await collect(readLog(session, { onlyFiles: true }));
    expect(files.map((r) => r.id)).toEqual(storedIds(sandbox, (e) => ONLY_FILES_EVENTS.includes(e.name)));
  });

  it('sends the server what it can filter, in the parameters of its version', async () => {
    const seen = sandbox.control.requests().length;
    const filter = parsePatterns(['task:*']);
    await collect(
      readLog(session, {
        filter,
        onlyFiles: true,
        projectIds: [sandbox.projects[0]!.id],
        personIds: [sandbox.users.artist.id],
      }),
    );
    const asked = sandbox.control
      .requests()
      .slice(seen)
      .filter((r) => r.path === 'data/events/last');
    expect(asked.length).toBeGreaterThan(0);
    const modern = version === '1.0.67';
    for (const { query } of asked) {
      expect(query.get('only_files')).toBe('true');
      expect(query.get('project_id')).toBe(sandbox.projects[0]!.id);
      expect(query.getAll('name_prefixes')).toEqual(modern ? ['task'] : []);
      expect(query.getAll('person_ids')).toEqual(modern ? [sandbox.users.artist.id] : []);
      expect(query.has(version === '0.19.60' ? 'page_size' : 'limit')).toBe(true);
      expect(query.has(version === '0.19.60' ? 'limit' : 'page_size')).toBe(false);
    }
  });

  it('walks newest first from --until, streaming', async () => {
    const log = sandbox.control.log();
    const to = secondOfStored(log[4000]!);
    const newest: string[] = [];
    for await (const r of readLogNewestFirst(session, { until: new Date(to * 1000) })) {
      newest.push(r.id!);
      if (newest.length === 1500) break;
    }
    expect(newest).toEqual(
      storedIds(sandbox, (e) => secondOfStored(e) < to)
        .reverse()
        .slice(0, 1500),
    );
  });

  it('says how far it has read after each window', async () => {
    // Never past the server's clock: once it has passed the newest row's second, that whole
    // second (with a margin: node's http refreshes its Date header a little after the second).
    const newest = secondOfStored(sandbox.control.log().at(-1)!);
    await waitFor(() => Date.now() >= (newest + 2) * 1000, 'the server clock to pass the newest row');
    let last = 0;
    let rows = 0;
    for await (const batch of readLogWindows(session, {})) {
      expect(batch.readThrough).toBeGreaterThan(last);
      last = batch.readThrough;
      rows += batch.rows.length;
    }
    expect(rows).toBe(sandbox.control.log().length);
    expect(last).toBe(secondOfStored(sandbox.control.log().at(-1)!) + 1);
  });
});
