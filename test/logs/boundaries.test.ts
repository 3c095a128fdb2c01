/**
 * No row skipped or repeated at any page, window or second boundary, on every emulated
 * version: the pager is driven with tiny pages (1 to 40 rows) over a log where most seconds
 * hold several rows and one holds 300, with random bounds and filters, oldest first and
 * newest first, and compared with the server's own log. Seeded: a failure names its round.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capabilitiesOf } from '../../src/core/capabilities.js';
import { recordFromLogRow } from '../../src/core/normalize.js';
import { parsePatterns } from '../../src/core/patterns.js';
import type { EventRecord } from '../../src/core/record.js';
import { matchesQuery, serverParams, type LogQuery } from '../../src/kitsu/event-log.js';
import { readWindowsOldestFirst, walkNewestFirst, type PagerSettings } from '../../src/kitsu/log-pager.js';
import type { Session } from '../../src/kitsu/types.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { botSession, projectOf, secondOfStored, seeded } from '../helpers/logs.js';

const ROUNDS = 30;
const PATTERNS = [[], ['task:*'], ['!task:update'], ['*:new', 'comment:*'], ['task:status-changed']];

describe.each(['0.19.60', '1.0.3', '1.0.62', '1.0.67'])('page and window boundaries on Zou %s', (version) => {
  let sandbox: Sandbox;
  let session: Session;
  let done: () => Promise<void>;

  beforeAll(async () => {
    // About two rows a second, then 300 in one second and a few after it.
    sandbox = await startSandbox({ seed: 3, events: 3000, historySpan: 1500, emulate: version });
    sandbox.control.generate(300);
    sandbox.control.generate(5);
    ({ session, done } = await botSession(sandbox));
  });

  afterAll(async () => {
    await done?.();
    await sandbox?.close();
  });

  it('gives every row of the range once, in order, with any page size, bounds and filters', async () => {
    const random = seeded(42);
    const log = sandbox.control.log();
    const first = secondOfStored(log[0]!);
    const last = secondOfStored(log.at(-1)!);
    const caps = capabilitiesOf(session.serverVersion);
    for (let round = 0; round < ROUNDS; round += 1) {
      const pageSize = 1 + Math.floor(random() * 40);
      const start = first - 3 + Math.floor(random() * (last - first + 6));
      const from = random() < 0.2 ? undefined : start;
      const to = random() < 0.3 ? undefined : start + 1 + Math.floor(random() * 400);
      const patterns = PATTERNS[Math.floor(random() * PATTERNS.length)]!;
      const query: LogQuery = {
        filter: parsePatterns(patterns),
        projectIds: random() < 0.3 ? [sandbox.projects[0]!.id] : undefined,
        personIds: random() < 0.2 ? [sandbox.users.artist.id] : undefined,
      };
      const settings: PagerSettings<EventRecord> = {
        http: session.http,
        caps,
        route: { path: 'data/events/last', cursorParam: 'cursor_event_id', toRecord: recordFromLogRow },
        params: serverParams(query, caps),
        pageSize,
      };
      // The server's project filter compares the row's column; the client, the record's project.
      const project = settings.params.project_id;
      const expected = log
        .filter(
          (e) => (from === undefined || secondOfStored(e) >= from) && (to === undefined || secondOfStored(e) < to),
        )
        .filter(
          (e) =>
            (project === undefined || e.project_id === project) &&
            matchesQuery({ ...e, project_id: projectOf(e), created_at: '', source: 'log' }, query),
        )
        .map((e) => e.id);
      const what = `round ${round}: pages of ${pageSize}, [${from}, ${to}), ${patterns.join(' ')}`;

      const oldestFirst: string[] = [];
      for await (const batch of readWindowsOldestFirst(settings, from, to)) {
        for (const record of batch.rows) if (matchesQuery(record, query)) oldestFirst.push(record.id!);
      }
      expect(oldestFirst, what).toEqual(expected);
      const newestFirst: string[] = [];
      for await (const page of walkNewestFirst(settings, from, to)) {
        for (const record of page.rows) if (matchesQuery(record, query)) newestFirst.push(record.id!);
      }
      expect(newestFirst, what).toEqual([...expected].reverse());
    }
  });
});
