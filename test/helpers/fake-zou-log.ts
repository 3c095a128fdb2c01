/**
 * A small Zou on 127.0.0.1 that serves only what reading the event log needs (`GET /api/`
 * and `GET /api/data/events/last`) from rows the test holds, so that a test can make it
 * misbehave in ways the sandbox never does: ignore the cursor, or gain rows between two
 * requests of one page walk. Any token is accepted.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRow {
  id: string;
  /** Microseconds since the epoch, as Zou stores it. */
  us: number;
  name: string;
}

export interface FakeLogOptions {
  version: string;
  rows: FakeRow[];
  /** Honour `cursor_event_id` (default: from 1.0.4 on, as Zou). */
  cursor?: boolean;
  /** Called before each answer of data/events/last with its query and its number (from 1). */
  beforeAnswer?: (query: URLSearchParams, n: number) => void;
  /** Changes an answer's rows (newest first, before the limit is applied). */
  answer?: (rows: FakeRow[], query: URLSearchParams, n: number) => FakeRow[];
  /** Answer 500 from this request number on, so that a client that never stops still ends. */
  failFrom?: number;
}

export interface FakeLog {
  url: string;
  requests: number;
  close(): Promise<void>;
}

const wholeSeconds = (us: number): string => new Date(Math.floor(us / 1000)).toISOString().slice(0, 19);
const parseServerDate = (text: string): number => Date.parse(`${text}Z`) * 1000;

export async function startFakeLog(options: FakeLogOptions): Promise<FakeLog> {
  const [major = 0, minor = 0, patch = 0] = options.version.split('.').map(Number);
  const atLeast = (a: number, b: number, c: number) => major * 1e6 + minor * 1e3 + patch >= a * 1e6 + b * 1e3 + c;
  const cursor = options.cursor ?? atLeast(1, 0, 4);
  const state: FakeLog = { url: '', requests: 0, close: async () => {} };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/api/' || url.pathname === '/api') return send(200, { api: 'Zou', version: options.version });
    if (url.pathname !== '/api/data/events/last') return send(404, { message: 'not here' });
    state.requests += 1;
    const n = state.requests;
    if (options.failFrom !== undefined && n >= options.failFrom)
      return send(500, { message: 'the test server gave up' });
    const q = url.searchParams;
    options.beforeAnswer?.(q, n);
    let rows = [...options.rows].sort((a, b) => b.us - a.us);
    if (q.get('before')) rows = rows.filter((r) => r.us < parseServerDate(q.get('before')!));
    if (q.get('after')) rows = rows.filter((r) => r.us > parseServerDate(q.get('after')!));
    const cursorId = q.get('cursor_event_id');
    if (cursor && cursorId) {
      const at = options.rows.find((r) => r.id === cursorId);
      if (!at) return send(400, { message: `No event found with id: ${cursorId}` });
      rows = rows.filter((r) => r.us < at.us);
    }
    if (options.answer) rows = options.answer(rows, q, n);
    const asked = Number(q.get('limit') ?? q.get('page_size') ?? 100);
    rows = rows.slice(0, atLeast(1, 0, 16) ? Math.min(asked, 1000) : asked);
    send(
      200,
      rows.map((r) => ({
        id: r.id,
        created_at: wholeSeconds(r.us),
        name: r.name,
        user_id: null,
        project_id: null,
        data: {},
      })),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/** `count` rows in second `second` (epoch seconds), `stepUs` apart from `firstUs` into it. */
export function rowsInSecond(second: number, count: number, prefix: string, firstUs = 0): FakeRow[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${String(i).padStart(6, '0')}`,
    us: second * 1_000_000 + firstUs + i,
    name: 'task:update',
  }));
}
