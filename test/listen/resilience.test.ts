/**
 * Nothing lost: reconnects, token renewal, backfill, the --since seam, a silent socket, a
 * stream that is down, a refused token. Each compares what was printed with what the
 * sandbox stored (`control.log()`), so a lost or doubled event fails the test.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox, SandboxOptions, StoredEvent } from '../../src/sandbox/types.js';
import { loginAs } from '../helpers/login.js';
import { botEnv, compareWithLog, startInProcess, waitUntil, type LiveRun } from '../helpers/listen.js';
import { tempConfigDir } from '../helpers/run-cli.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sandboxFor(options: SandboxOptions = {}): Promise<{ sandbox: Sandbox; dir: string }> {
  const sandbox = await startSandbox({ seed: 3, ...options });
  const tmp = tempConfigDir();
  cleanups.push(
    () => tmp.cleanup(),
    () => sandbox.close(),
  );
  return { sandbox, dir: tmp.dir };
}

function start(argv: string[], env: Record<string, string>): LiveRun {
  const live = startInProcess(['listen', ...argv], env);
  cleanups.push(async () => {
    live.interrupt();
    await live.exit;
  });
  return live;
}

/** Stored events from `index` on: what a listener that was up from then must have printed. */
function storedSince(sandbox: Sandbox, index: number): readonly StoredEvent[] {
  return sandbox.control.log().slice(index);
}

/** Waits until every stored event from `index` on was printed exactly once. */
async function expectEveryStoredEventOnce(
  live: LiveRun,
  sandbox: Sandbox,
  index: number,
  timeoutMs = 30_000,
): Promise<void> {
  const stored = () => storedSince(sandbox, index);
  await live.waitFor(
    () => compareWithLog(live.records(), stored()).missing.length === 0,
    'every stored event',
    timeoutMs,
  );
  const { missing, extra } = compareWithLog(live.records(), stored());
  expect({ missing, extra }).toEqual({ missing: [], extra: [] });
}

/** An HTTP proxy to the sandbox that answers every websocket upgrade with 400, as some do. */
async function startNoUpgradeProxy(
  port: number,
): Promise<{ url: string; upgradesRefused: () => number; close: () => Promise<void> }> {
  let refused = 0;
  const server = createServer((req, res) => {
    const upstream = request(
      { host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (_req, socket) => {
    refused += 1;
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    upgradesRefused: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Each reconnect ends in one line: `back after N s, M events recovered` (or why none could be). */
const backLines = (live: LiveRun) =>
  live
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('back after'));
const reconnections = (live: LiveRun) => backLines(live).length;
/** The M of each `back after N s, M events recovered`. */
const recoveredCounts = (live: LiveRun) =>
  backLines(live).map((l) => Number(/, (\d+) events? recovered \(down /.exec(l)?.[1] ?? NaN));

describe('listen across reconnects', () => {
  it('prints every stored event exactly once (live + backfill) while the stream restarts 10 times', async () => {
    const { sandbox, dir } = await sandboxFor();
    const live = start(['--json'], botEnv(sandbox, dir));
    await live.waitForStderr('connected to');
    const from = sandbox.control.log().length;
    sandbox.control.setRate(40);
    for (let i = 1; i <= 10; i += 1) {
      await live.waitFor(() => live.records().length >= i * 8, `events flowing before restart ${i}`);
      await sandbox.control.restartStream();
      await live.waitFor(() => reconnections(live) >= i, `reconnect ${i}`);
    }
    sandbox.control.setRate(0);
    await expectEveryStoredEventOnce(live, sandbox, from);
    const sources = new Set(live.records().map((r) => r.source));
    // The restarts lost events live, which only the backfill can have brought back.
    expect(sources).toEqual(new Set(['live', 'backfill']));
    // One line a reconnect, each saying how many records the log gave back: together, what was
    // printed as backfill (the quiet counting reads that may follow a reconnect add to it).
    const recovered = recoveredCounts(live);
    expect(recovered).toHaveLength(10);
    const total = recovered.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(live.records().filter((r) => r.source === 'backfill').length);
    expect(live.stderr()).not.toMatch(/^(disconnected|reconnecting|reconnected|backfilled)/m);
    expect(live.stderr().match(/notifications and chat events are never stored/g)).toHaveLength(1);
    live.interrupt();
    expect(await live.exit).toBe(130);
    expect(live.stderr()).toMatch(/stopped: \d+ events, 10 reconnects, [1-9]\d* backfilled/);
  });

  it('prints both of two identical events around a reconnect, one missed and one live, by count', async () => {
    const { sandbox, dir } = await sandboxFor();
    const live = start(['--json'], botEnv(sandbox, dir));
    await live.waitForStderr('connected to');
    const from = sandbox.control.log().length;
    const same = { task_id: 'same-task', project_id: sandbox.projects[0]!.id };
    await sandbox.control.restartStream();
    // Made while the listener is away: only the backfill can bring it.
    sandbox.control.emit('task:update', same);
    await live.waitForStderr(/^back after \d+ s, 1 event recovered \(down [\d:]+ to [\d:]+\)$/m);
    await waitUntil(() => sandbox.control.connectedSockets() >= 1, 'the socket to be counted');
    // The same name and data again, live, a moment after the backfill printed the first one:
    // by name, data and time it could be that row's own live twin; by count it is not.
    sandbox.control.emit('task:update', same);
    await live.waitFor(() => live.records().filter((r) => r.data.task_id === 'same-task').length === 2, 'both events');
    await expectEveryStoredEventOnce(live, sandbox, from);
  });

  it('loses none of a run of identical events across a reconnect, after the count was corrected once', async () => {
    const { sandbox, dir } = await sandboxFor();
    const live = start(['--json'], botEnv(sandbox, dir));
    await live.waitForStderr('connected to');
    const from = sandbox.control.log().length;
    const same = { task_id: 'same-task', project_id: sandbox.projects[0]!.id };
    const printed = () => live.records().filter((r) => r.data.task_id === 'same-task').length;
    await sandbox.control.restartStream();
    sandbox.control.emit('task:update', same);
    await live.waitForStderr(/^back after \d+ s, 1 event recovered \(down [\d:]+ to [\d:]+\)$/m);
    await waitUntil(() => sandbox.control.connectedSockets() >= 1, 'the socket to be counted');
    // Early in a second, so that the next one still falls within this one's tolerance.
    await waitUntil(() => Date.now() % 1000 < 200, 'the start of a second');
    // Taken at first for the backfilled row's live twin; the quiet second read corrects the count…
    sandbox.control.emit('task:update', same);
    await live.waitFor(() => printed() === 2, 'the second event, by count');
    // …and the row it printed must not swallow the next identical live event in turn.
    sandbox.control.emit('task:update', same);
    await expectEveryStoredEventOnce(live, sandbox, from);
  });

  it('keeps a 2-second token alive for 20 seconds across forced reconnects, without the user', async () => {
    const { sandbox, dir } = await sandboxFor();
    sandbox.control.setTokenLifetimes({ access: 2 });
    await loginAs(sandbox, sandbox.users.admin, dir);
    const live = start(['--json'], { KITSU_TAIL_CONFIG_DIR: dir, NO_COLOR: '1' });
    await live.waitForStderr('connected to');
    const from = sandbox.control.log().length;
    sandbox.control.setRate(10);
    const startedAt = Date.now();
    let restarts = 0;
    while (Date.now() - startedAt < 20_000) {
      // Long enough for the token in the handshake to have expired.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await sandbox.control.restartStream();
      restarts += 1;
      await live.waitFor(() => reconnections(live) >= restarts, `reconnect ${restarts}`);
    }
    sandbox.control.setRate(0);
    await expectEveryStoredEventOnce(live, sandbox, from);
    expect(restarts).toBeGreaterThanOrEqual(5);
    // The handshakes needed fresh tokens: the session renewed them through the refresh token.
    const refreshes = sandbox.control.requests().filter((r) => r.path === 'auth/refresh-token' && r.status === 200);
    expect(refreshes.length).toBeGreaterThanOrEqual(3);
    expect(live.stderr()).not.toMatch(/log in|login|refused/i);
  });

  it('notices a socket gone quiet without closing, replaces it and backfills the silence', async () => {
    const { sandbox, dir } = await sandboxFor({ pingInterval: 300, pingTimeout: 300 });
    const live = start(['--json'], botEnv(sandbox, dir));
    await live.waitForStderr('connected to');
    const from = sandbox.control.log().length;
    sandbox.control.silenceStream();
    const quiet = sandbox.control.generate(5);
    // issue 11: socket.io's 'ping timeout' reaches people in words
    await live.waitForStderr(
      /event stream down since [\d:]+ \((the server stopped answering pings|no ping from the server for \d+ s)\)/,
    );
    await live.waitForStderr(/^back after \d+ s, 5 events recovered \(down [\d:]+ to [\d:]+\)$/m);
    sandbox.control.generate(5);
    await expectEveryStoredEventOnce(live, sandbox, from);
    const backfilled = live.records().filter((r) => r.source === 'backfill');
    expect(backfilled.map((r) => r.id)).toEqual(quiet.map((e) => e.id));
  });
});

describe('the watchdog', () => {
  it('replaces a connection whose last packet is older than pingInterval + pingTimeout by the clock, as after a laptop sleeps', async () => {
    // Zou's 25 s + 20 s: engine.io-client's own timer will not fire during this test, so only
    // the watchdog, which reads the clock, can notice.
    const { sandbox, dir } = await sandboxFor({ pingInterval: 25_000, pingTimeout: 20_000 });
    let jump = 0;
    const live = startInProcess(['listen', '--json', '--no-backfill'], botEnv(sandbox, dir), {
      now: () => Date.now() + jump,
    });
    cleanups.push(async () => {
      live.interrupt();
      await live.exit;
    });
    await live.waitForStderr('connected to');
    jump = 60_000;
    await live.waitForStderr(/event stream down since [\d:]+ \(no ping from the server for 6\d s\)/, 15_000);
    await live.waitForStderr(
      /^back after \d+ s \(down [\d:]+ to [\d:]+; events sent meanwhile were not read from the log: --no-backfill\)$/m,
    );
    await waitUntil(() => sandbox.control.connectedSockets() === 1, 'one socket: the old one closed, the new one up');
    sandbox.control.emit('task:update', { task_id: 'awake' });
    await live.waitFor(
      () => live.records().some((r) => r.data.task_id === 'awake'),
      'a live event on the new connection',
    );
  });
});

describe('the live events kept for pairing', () => {
  it('still pair an event received just before a connection went silent, however long the silence took to notice', async () => {
    // A connection that goes quiet is noticed only after the server's pingInterval + pingTimeout
    // (here 120 s), or later after a laptop's sleep. Live events are kept for a while back from
    // the newest one, not from now: the one received just before the silence must still pair
    // with its row when the log is read after the reconnect, or that row is printed twice.
    const { sandbox, dir } = await sandboxFor({ pingInterval: 60_000, pingTimeout: 60_000 });
    let jump = 0;
    const live = startInProcess(['listen', '--json'], botEnv(sandbox, dir), { now: () => Date.now() + jump });
    cleanups.push(async () => {
      live.interrupt();
      await live.exit;
    });
    await live.waitForStderr('connected to');
    const from = sandbox.control.log().length;
    sandbox.control.emit('task:update', { task_id: 'before-the-silence' });
    await live.waitFor(() => live.records().some((r) => r.data.task_id === 'before-the-silence'), 'the live event');
    sandbox.control.silenceStream();
    sandbox.control.emit('task:update', { task_id: 'during-the-silence' });
    // 100 s of silence, not yet noticed; a prune (every 10 s) passes meanwhile.
    jump = 100_000;
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    jump = 130_000;
    await live.waitForStderr(/event stream down since [\d:]+ \(no ping from the server for 1\d\d s\)/, 15_000);
    await live.waitForStderr(/^back after /m);
    await expectEveryStoredEventOnce(live, sandbox, from);
    expect(live.stderr()).toMatch(/^back after [^,]+, 1 event recovered/m);
    const sources = Object.fromEntries(live.records().map((r) => [r.data.task_id, r.source]));
    expect(sources).toEqual({ 'before-the-silence': 'live', 'during-the-silence': 'backfill' });
  }, 60_000);
});

describe('listen --since', () => {
  it('prints the history, then live, with events made during the seam neither missed nor repeated', async () => {
    const { sandbox, dir } = await sandboxFor({ events: 300, historySpan: 60 });
    sandbox.control.setRate(50);
    const live = start(['--since', '10m', '--json'], botEnv(sandbox, dir));
    await live.waitForStderr('connected to');
    await live.waitFor(() => live.records().some((r) => r.source === 'live'), 'live events after the history');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    sandbox.control.setRate(0);
    await expectEveryStoredEventOnce(live, sandbox, 0);
    const sources = live.records().map((r) => r.source);
    // History first, then live: no stored row after the first live event.
    expect(sources.lastIndexOf('log')).toBeLessThan(sources.indexOf('live'));
    expect(sources.filter((s) => s === 'log').length).toBeGreaterThanOrEqual(300);
  });
});

describe('listen when the stream is down or refuses', () => {
  it('polls the log while the stream is unreachable, and goes back to the stream when it returns', async () => {
    const { sandbox, dir } = await sandboxFor();
    const live = start(['--json'], botEnv(sandbox, dir));
    await live.waitForStderr('connected to');
    const from = sandbox.control.log().length;
    await sandbox.control.stopStream();
    await live.waitForStderr(
      /event stream still down \(since [\d:]+; HTTP 502\); polling the log every 5 s until it is back/,
    );
    const whileDown = sandbox.control.generate(4);
    await live.waitFor(
      () => whileDown.every((e) => live.records().some((r) => r.id === e.id && r.source === 'backfill')),
      'the events made while the stream was down, from polling',
    );
    sandbox.control.resumeStream();
    // The four came back by polling while it was down; the one line that ends the outage counts them.
    await live.waitForStderr(/^back after \d+ s, 4 events recovered \(down [\d:]+ to [\d:]+\)$/m, 45_000);
    await waitUntil(() => sandbox.control.connectedSockets() >= 1, 'the socket to be counted');
    sandbox.control.emit('task:update', { task_id: 'after', project_id: sandbox.projects[0]!.id });
    await live.waitFor(
      () => live.records().some((r) => r.data.task_id === 'after' && r.source === 'live'),
      'a live event again',
    );
    await expectEveryStoredEventOnce(live, sandbox, from);
  });

  it('renews a token the stream refuses and connects again, with nothing lost', async () => {
    const { sandbox, dir } = await sandboxFor();
    await loginAs(sandbox, sandbox.users.admin, dir);
    const live = start(['--json', '--verbose'], { KITSU_TAIL_CONFIG_DIR: dir, NO_COLOR: '1' });
    await live.waitForStderr('connected to');
    const from = sandbox.control.log().length;
    // Every token issued so far now answers "Signature has expired", the stream's included.
    sandbox.control.expireAccessTokens();
    await sandbox.control.restartStream();
    sandbox.control.generate(3);
    await live.waitForStderr('the event stream refused the access token; renewed it');
    await live.waitForStderr('reconnected');
    await expectEveryStoredEventOnce(live, sandbox, from);
  });

  it('falls back to polling transport when a proxy refuses the websocket upgrade', async () => {
    const { sandbox, dir } = await sandboxFor();
    const proxy = await startNoUpgradeProxy(sandbox.port);
    cleanups.push(() => proxy.close());
    const env = { ...botEnv(sandbox, dir), KITSU_HOST: proxy.url };
    const live = start(['--json', '--count', '2'], env);
    await live.waitForStderr(/connected to .* \(polling\)/);
    await waitUntil(() => sandbox.control.connectedSockets() >= 1, 'the socket to be counted');
    sandbox.control.generate(2);
    expect(await live.exit).toBe(0);
    expect(live.records()).toHaveLength(2);
    expect(proxy.upgradesRefused()).toBeGreaterThanOrEqual(1);
  });

  it('exits 3 with the hint when the stream refuses a token that cannot be renewed', async () => {
    const { sandbox, dir } = await sandboxFor();
    const env = botEnv(sandbox, dir);
    sandbox.control.revokeAllTokens();
    const live = start(['--json'], env);
    expect(await live.exit).toBe(3);
    expect(live.stderr()).toMatch(/event stream refused the token and it cannot be renewed/);
    // One line, with the hint of what to do next.
    expect(live.stderr().trim().split('\n')).toHaveLength(1);
    expect(live.stderr()).toMatch(/\(ask a Kitsu admin for a new bot token\)/);
    expect(live.stdout()).toBe('');
  });

  it('gives up with exit 5 after --max-reconnects failed attempts', async () => {
    const { sandbox, dir } = await sandboxFor();
    const live = start(['--json', '--max-reconnects', '2', '--no-backfill'], botEnv(sandbox, dir));
    await live.waitForStderr('connected to');
    await sandbox.control.stopStream();
    expect(await live.exit).toBe(5);
    expect(live.stderr()).toMatch(/--max-reconnects 2 allows no more attempts/);
    expect(live.stderr()).not.toContain('polling');
  });

  it('tells a user who may not read the log that backfill is unavailable, once, and goes on', async () => {
    const { sandbox, dir } = await sandboxFor();
    await loginAs(sandbox, sandbox.users.artist, dir);
    const live = start(['--json'], { KITSU_TAIL_CONFIG_DIR: dir, NO_COLOR: '1' });
    await live.waitForStderr('connected to');
    await sandbox.control.restartStream();
    await live.waitFor(() => reconnections(live) >= 1, 'the first reconnect');
    await sandbox.control.restartStream();
    await live.waitFor(() => reconnections(live) >= 2, 'the second reconnect');
    await waitUntil(() => sandbox.control.connectedSockets() >= 1, 'the socket to be counted');
    sandbox.control.emit('task:update', { task_id: 'still', project_id: sandbox.projects[0]!.id });
    await live.waitForRecords(1);
    expect(live.stderr().match(/backfill is unavailable/g)).toHaveLength(1);
  });
});
