/**
 * Paging must make progress against a server that does not page (issue 8, item 4), and a
 * second read again with a larger limit is handed on whole, in the server's order (item 11).
 * Against a small Zou on 127.0.0.1 (test/helpers/fake-zou-log.ts) that misbehaves on purpose.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { capabilitiesOf } from '../../src/core/capabilities.js';
import { recordFromLogRow } from '../../src/core/normalize.js';
import type { EventRecord } from '../../src/core/record.js';
import { readWindowsOldestFirst, walkNewestFirst, type PagerSettings } from '../../src/kitsu/log-pager.js';
import { openSession } from '../../src/kitsu/session.js';
import { ServerError } from '../../src/errors.js';
import { PassThrough } from 'node:stream';
import { startFakeLog, rowsInSecond, type FakeLog, type FakeRow } from '../helpers/fake-zou-log.js';
import { idsOfNdjson } from '../helpers/logs.js';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';

const BASE = Math.floor(Date.now() / 1000) - 3600;
let fake: FakeLog | undefined;
const config = tempConfigDir();
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const env = () => ({
  KITSU_HOST: fake!.url,
  KITSU_TOKEN: 'test-token',
  KITSU_TAIL_CONFIG_DIR: config.dir,
  NO_COLOR: '1',
});
const logsAll = () => runCli(['logs', '--all', '--json'], { env: env() });

/** A few rows in each of many seconds, newest last. */
function spread(seconds: number, perSecond: number): FakeRow[] {
  return Array.from({ length: seconds }, (_, s) => rowsInSecond(BASE + s, perSecond, `s${s}`)).flat();
}

/** The pager itself, with small pages, on a session to the fake server. */
async function pager(pageSize: number): Promise<{ settings: PagerSettings<EventRecord>; close: () => Promise<void> }> {
  const session = await openSession({
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    stdin: new PassThrough(),
    env: env(),
    clock: { now: () => Date.now() },
    signal: new AbortController().signal,
    globals: { color: 'never', verbose: false, quiet: true, insecure: false },
  });
  const settings: PagerSettings<EventRecord> = {
    http: session.http,
    caps: capabilitiesOf(session.serverVersion),
    route: { path: 'data/events/last', cursorParam: 'cursor_event_id', toRecord: recordFromLogRow },
    params: {},
    pageSize,
  };
  return { settings, close: () => session.close() };
}

describe('a server that ignores cursor_event_id', () => {
  it('handing the same second again, an id a little shifted each time: exit 6 naming the route, not a loop', async () => {
    const rows = rowsInSecond(BASE, 3000, 'dense');
    // Without the cursor every page is the newest rows again; dropping the first one now and
    // then keeps the page from starting with the same id.
    fake = await startFakeLog({
      version: '1.0.67',
      cursor: false,
      rows,
      answer: (page, _q, n) => page.slice(n % 2),
      failFrom: 200,
    });
    const result = await logsAll();
    expect(result.code, result.stderr).toBe(6);
    expect(result.stderr).toMatch(
      /^kitsu-tail: the server does not page data\/events\/last: it answered dense-\d+ twice in one walk \(it may ignore cursor_event_id/,
    );
    expect(result.stdout).toBe('');
    expect(fake.requests).toBeLessThan(100);
  });

  it('answering rows newer than the cursor row: exit 6', async () => {
    fake = await startFakeLog({
      version: '1.0.67',
      cursor: false,
      rows: spread(400, 5),
      answer: (page, _q, n) => page.slice(n % 2),
      failFrom: 200,
    });
    const result = await logsAll();
    expect(result.code, result.stderr).toBe(6);
    expect(result.stderr).toMatch(
      /the server does not page data\/events\/last: asked for rows older than s\d+-\d+ \(.*\), it answered s\d+-\d+ of/,
    );
    expect(fake.requests).toBeLessThan(100);
  });

  it('without a cursor (0.19.60), an id twice in one page: exit 6', async () => {
    fake = await startFakeLog({
      version: '0.19.60',
      rows: spread(50, 3),
      answer: (page) => [page[0]!, ...page],
      failFrom: 200,
    });
    const result = await logsAll();
    expect(result.code, result.stderr).toBe(6);
    expect(result.stderr).toContain('the server does not page data/events/last: it answered an id twice in one page');
  });

  it('still reads an honest server whole', async () => {
    const rows = [...spread(400, 5), ...rowsInSecond(BASE + 400, 2500, 'dense')];
    fake = await startFakeLog({ version: '1.0.67', rows });
    const result = await logsAll();
    expect(result.code, result.stderr).toBe(0);
    expect(idsOfNdjson(result.stdout)).toEqual(rows.map((r) => r.id));
  });
});

describe('a second that must be read whole', () => {
  it('is bounded: more rows than the bound in one second is exit 6 saying so, with or without a cursor', async () => {
    for (const version of ['0.19.60', '1.0.67']) {
      // Pages of 5: the bound is 100 pages, 500 rows.
      fake = await startFakeLog({ version, rows: [...rowsInSecond(BASE, 600, 'dense'), ...spread(3, 2)] });
      const { settings, close } = await pager(5);
      try {
        const read = async () => {
          for await (const _ of readWindowsOldestFirst(settings, undefined, undefined)) void _;
        };
        const error = await read().then(
          () => null,
          (e: unknown) => e,
        );
        expect(error, version).toBeInstanceOf(ServerError);
        expect((error as Error).message, version).toMatch(
          /^the server holds more than 500 rows of data\/events\/last in the one second .*, more than kitsu-tail reads at once/,
        );
      } finally {
        await close();
        await fake.close();
        fake = undefined;
      }
    }
  });
});

describe('servers before 1.0.4 (no cursor)', () => {
  it('a busy second asked for again with a larger limit comes whole, in the server order, rows written in between included', async () => {
    const busy = BASE + 10;
    const rows = [...spread(10, 3), ...rowsInSecond(busy, 25, 'busy')];
    let grown = false;
    fake = await startFakeLog({
      version: '0.19.60',
      rows,
      // When the busy second is asked for again with room for more, it has gained rows.
      beforeAnswer: (q) => {
        if (!grown && Number(q.get('limit') ?? q.get('page_size')) > 10) {
          grown = true;
          rows.push(...rowsInSecond(busy, 7, 'late', 500_000));
        }
      },
    });
    const { settings, close } = await pager(10);
    try {
      const newestFirst: string[] = [];
      for await (const page of walkNewestFirst(settings, undefined, busy + 1))
        newestFirst.push(...page.rows.map((r) => r.id!));
      expect(grown).toBe(true);
      const serverOrder = [...rows].sort((a, b) => b.us - a.us).map((r) => r.id);
      expect(newestFirst).toEqual(serverOrder);
    } finally {
      await close();
    }
  });
});
