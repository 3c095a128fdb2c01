/**
 * What bounds one HTTP exchange against a broken server, through a loopback front that
 * misbehaves on one route and passes the rest to the sandbox: an overall deadline (a server
 * that drips a byte at a time), a cap on the size of an answer and on how deep its JSON nests,
 * 429 and Retry-After, and redirects (followed within the origin, else named).
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ServerError } from '../../src/errors.js';
import { createApiClient } from '../../src/kitsu/http.js';
import { reporterFor } from '../../src/output/reporter.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { startBrokenFront, drip, type BrokenFront } from '../helpers/broken-front.js';
import { botEnv } from '../helpers/listen.js';
import { configDirs, contextFor, expectOneLine } from '../helpers/login.js';
import { runCli } from '../helpers/run-cli.js';

const configDir = configDirs();
let sandbox: Sandbox;
let front: BrokenFront;
const removers: (() => void)[] = [];
beforeAll(async () => {
  sandbox = await startSandbox({ seed: 5, events: 300 });
  front = await startBrokenFront(sandbox.url);
});
afterEach(() => removers.splice(0).forEach((remove) => remove()));
afterAll(async () => {
  await front.close();
  await sandbox.close();
});

/** A bot login whose requests go through the front. */
function throughFront(extra: Record<string, string> = {}): Record<string, string> {
  return { ...botEnv(sandbox, configDir()), KITSU_HOST: front.url, ...extra };
}

const EVENTS_ROUTE = /^\/api\/data\/events\/last/;

describe('an overall deadline on each request', () => {
  it('ends whoami against a server that drips its answer, with exit 5 naming the route', async () => {
    removers.push(front.use(drip(/^\/api\/auth\/authenticated/, 50)));
    const result = await runCli(['whoami'], { env: throughFront({ KITSU_TAIL_REQUEST_TIMEOUT: '400ms' }) });
    expect(result.code).toBe(5);
    expectOneLine(result);
    expect(result.stderr).toContain(
      `${new URL(front.url).host} did not finish answering in time: GET /api/auth/authenticated took more than 400 ms after 4 tries`,
    );
    expect(result.stderr).toContain('KITSU_TAIL_REQUEST_TIMEOUT');
  });

  it('ends logs, and an export, whose lock is then free for the next run', async () => {
    const env = throughFront({ KITSU_TAIL_REQUEST_TIMEOUT: '400ms' });
    const stop = front.use(drip(EVENTS_ROUTE, 50));
    const plain = await runCli(['logs', '--limit', '5'], { env });
    expect(plain.code).toBe(5);
    expect(plain.stderr).toContain('GET /api/data/events/last took more than 400 ms');
    const dir = configDir();
    const args = ['logs', '--checkpoint', join(dir, 'cp.json'), '--output', join(dir, 'out.ndjson'), '--since', '1d'];
    const stuck = await runCli(args, { env });
    expect(stuck.code).toBe(5);
    expect(existsSync(join(dir, 'cp.json.lock'))).toBe(false);
    stop();
    const next = await runCli(args, { env });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/appended \d+ new events?/);
  });

  it('refuses a KITSU_TAIL_REQUEST_TIMEOUT that is not a duration (exit 2)', async () => {
    const result = await runCli(['whoami'], { env: throughFront({ KITSU_TAIL_REQUEST_TIMEOUT: 'soon' }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("KITSU_TAIL_REQUEST_TIMEOUT: cannot read 'soon' as a duration");
  });
});

describe('a cap on what one answer may hold', () => {
  it('refuses an answer that announces 700 MB at once, with exit 6 naming the route', async () => {
    removers.push(
      front.use((req, res) => {
        if (!EVENTS_ROUTE.test(req.url ?? '')) return false;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(700 * 1024 * 1024) });
        res.write(`[${' '.repeat(1024 * 1024)}`);
        // Then nothing: before, the client waited for the rest (and would have kept all of it).
        return true;
      }),
    );
    const result = await runCli(['logs', '--limit', '5'], { env: throughFront() });
    expect(result.code).toBe(6);
    expectOneLine(result);
    expect(result.stderr).toContain(
      'answered GET /api/data/events/last with 700 MB, more than the 64 MB kitsu-tail reads from one answer',
    );
    expect(result.stderr).not.toContain('cannot reach');
  });

  it('refuses a row with a 100 MB string, sent without a length, once 64 MB have come', async () => {
    removers.push(
      front.use((req, res) => {
        if (!EVENTS_ROUTE.test(req.url ?? '')) return false;
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = 'x'.repeat(1024 * 1024);
        let sent = 0;
        const more = () => {
          while (sent < 100) {
            sent += 1;
            if (!res.write(sent === 1 ? `[{"id":"e1","name":"task:new","data":{"text":"${chunk}` : chunk))
              return void res.once('drain', more);
          }
          res.end('"}}]');
        };
        res.on('close', () => (sent = Infinity));
        more();
        return true;
      }),
    );
    const result = await runCli(['logs', '--limit', '5'], { env: throughFront() });
    expect(result.code).toBe(6);
    expectOneLine(result);
    expect(result.stderr).toContain(
      'answered GET /api/data/events/last with more than 64 MB, more than the 64 MB kitsu-tail reads from one answer',
    );
    expect(result.stdout).toBe('');
  });

  it('refuses a row nested 100,000 levels deep with exit 6, not a stack overflow', async () => {
    const depth = 100_000;
    removers.push(
      front.use((req, res) => {
        if (!EVENTS_ROUTE.test(req.url ?? '')) return false;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          `[{"id":"e1","name":"task:new","created_at":"2026-11-29T08:00:01","data":${'['.repeat(depth)}${']'.repeat(depth)}}]`,
        );
        return true;
      }),
    );
    const result = await runCli(['logs', '--limit', '5'], { env: throughFront() });
    expect(result.code).toBe(6);
    expectOneLine(result);
    expect(result.stderr).toContain('answered GET /api/data/events/last with JSON nested more than 256 levels deep');
  });

  it('counts a chunked answer against the cap the client was given', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('["');
      res.end(`${'y'.repeat(2 * 1024 * 1024)}"]`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { ctx } = contextFor({});
    const client = await createApiClient({
      apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`,
      tls: { rejectUnauthorized: true },
      env: {},
      reporter: reporterFor(ctx),
      maxBodyBytes: 1024 * 1024,
    });
    try {
      const error = await client.send({ method: 'GET', path: 'data/x' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServerError);
      expect((error as ServerError).message).toContain('answered GET /api/data/x with more than 1 MB');
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/** Answers `status` with these headers to the first `times` requests of the route. */
function answer(route: RegExp, status: number, headers: Record<string, string>, times = Infinity) {
  let left = times;
  return front.use((req, res) => {
    if (!route.test(req.url ?? '') || left <= 0) return false;
    left -= 1;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ message: 'slow down' }));
    return true;
  });
}

describe('429 and Retry-After', () => {
  it('retries a 429 after the Retry-After it gives, as a 503', async () => {
    removers.push(answer(/^\/api\/auth\/authenticated/, 429, { 'retry-after': '1' }, 1));
    removers.push(answer(/^\/api\/auth\/authenticated/, 503, { 'retry-after': '1' }, 1));
    const result = await runCli(['whoami', '--verbose'], { env: throughFront() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('auth/authenticated: 503, trying again in 1000ms');
    expect(result.stderr).toContain('auth/authenticated: 429, trying again in 1000ms');
  });

  it('does not wait out a Retry-After of minutes: exit 6 saying what was asked', async () => {
    removers.push(answer(/^\/api\/auth\/authenticated/, 429, { 'retry-after': '120' }));
    const result = await runCli(['whoami'], { env: throughFront() });
    expect(result.code).toBe(6);
    expectOneLine(result);
    expect(result.stderr).toContain('is limiting requests (429 on GET /api/auth/authenticated) and asks to wait 120 s');
  });
});

describe('redirects', () => {
  it('follows one that stays on the same origin', async () => {
    removers.push(
      front.use((req, res) => {
        const url = req.url ?? '';
        if (url.startsWith('/moved/')) {
          req.url = url.slice('/moved'.length);
          return false;
        }
        if (!EVENTS_ROUTE.test(url)) return false;
        res.writeHead(301, { location: `/moved${url}` });
        res.end();
        return true;
      }),
    );
    const result = await runCli(['logs', '--limit', '5'], { env: throughFront() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(5);
    expect(front.seen.some((line) => line.startsWith('GET /moved/api/data/events/last'))).toBe(true);
  });

  it('stops a same-origin loop after a few, with exit 6 naming it', async () => {
    removers.push(
      front.use((req, res) => {
        if (!EVENTS_ROUTE.test(req.url ?? '')) return false;
        res.writeHead(302, { location: req.url ?? '/' });
        res.end();
        return true;
      }),
    );
    const before = front.seen.length;
    const result = await runCli(['logs', '--limit', '5'], { env: throughFront() });
    expect(result.code).toBe(6);
    expectOneLine(result);
    expect(result.stderr).toMatch(
      /redirects GET \/api\/data\/events\/last to http:\/\/127\.0\.0\.1:\d+\/api\/data\/events\/last\?\S+, which kitsu-tail does not follow here/,
    );
    expect(front.seen.slice(before).filter((line) => line.startsWith('GET /api/data/events/last'))).toHaveLength(6);
  });

  it.each([302, 307, 308])('names one (%i) that leads to another site, and does not go there', async (status) => {
    removers.push(answer(EVENTS_ROUTE, status, { location: 'https://kitsu.elsewhere.test/api/data/events/last' }));
    const result = await runCli(['logs', '--limit', '5'], { env: throughFront() });
    expect(result.code).toBe(6);
    expectOneLine(result);
    expect(result.stderr).toContain(
      'redirects GET /api/data/events/last to https://kitsu.elsewhere.test/api/data/events/last, another site',
    );
    expect(result.stderr).toContain('kitsu-tail login --host https://kitsu.elsewhere.test');
  });
});
