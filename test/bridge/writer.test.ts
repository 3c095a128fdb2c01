/**
 * The bridge engine in-process against the sandbox and a real redis-server: the backlog and
 * live events go into the stream once each, in log order; filters decide what goes in; events
 * Kitsu never stores are written marked as such; a second bridge stands by and writes nothing;
 * a key of the wrong type is a usage error; a lost reply writes nothing twice; a call out of
 * turn is refused; --names puts the names in the entries and listen --from prints them.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeQuery } from '../../src/core/checkpoint.js';
import { parsePatterns } from '../../src/core/patterns.js';
import { busKeys } from '../../src/bridge/keys.js';
import { connectRedis, parseRedisUrl, type RedisLink } from '../../src/bridge/redis.js';
import { WRITE_SCRIPT } from '../../src/bridge/scripts.js';
import { createNameResolver } from '../../src/kitsu/names.js';
import { runBridge, type BridgeSettings } from '../../src/bridge/writer.js';
import { UsageError } from '../../src/errors.js';
import { Reporter } from '../../src/output/reporter.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { botSession, storedIds, waitFor } from '../helpers/logs.js';
import { spawnCli } from '../helpers/bus.js';
import { plainClient, readStream, startRedis, type PlainClient, type TestRedis } from '../helpers/redis.js';
import { tempConfigDir } from '../helpers/run-cli.js';

let sandbox: Sandbox;
let redis: TestRedis;
let client: PlainClient;
let session: Awaited<ReturnType<typeof botSession>>;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 5, events: 3_000, historySpan: 86_400 });
  redis = await startRedis();
  client = await plainClient(redis.url);
  session = await botSession(sandbox);
});

afterAll(async () => {
  await session?.done();
  await client?.close();
  await redis?.stop();
  await sandbox?.close();
});

interface Running {
  stderr: () => string;
  stop: () => Promise<void>;
  done: Promise<unknown>;
}

async function bridge(
  stream: string,
  patterns: string[] = [],
  { wrapLink, ...extra }: Partial<BridgeSettings> & { wrapLink?: (link: RedisLink) => RedisLink } = {},
): Promise<Running> {
  const abort = new AbortController();
  const err = new PassThrough();
  let text = '';
  err.on('data', (c: Buffer) => (text += c.toString()));
  const reporter = new Reporter(err, { quiet: false, verbose: false, color: false });
  const target = parseRedisUrl(redis.url);
  const link = await connectRedis(target, { reporter, signal: abort.signal });
  const filter = parsePatterns(patterns);
  const done = runBridge({
    link: wrapLink ? wrapLink(link) : link,
    keys: busKeys(stream),
    where: target.display,
    session: session.session,
    query: { filter },
    queryId: describeQuery({ include: filter.include, exclude: filter.exclude }),
    since: null,
    maxLen: 0,
    leaseMs: 1_000,
    reporter,
    signal: abort.signal,
    clock: { now: () => Date.now() },
    ...extra,
  }).finally(() => link.close());
  return {
    stderr: () => text,
    stop: async () => {
      abort.abort();
      await done.catch(() => undefined);
    },
    done,
  };
}

it('writes the backlog and then live events once each, in log order', { timeout: 60_000 }, async () => {
  const running = await bridge('{kitsu}:events');
  const standby = await bridge('{kitsu}:events');
  try {
    await waitFor(() => running.stderr().includes('caught up'), 'the backlog');
    // The notification below is never stored: only a leader whose live stream is up can see it
    // (the backlog may be caught up before the stream connects; the standby opens none).
    await waitFor(() => sandbox.control.connectedSockets() >= 1, 'the live stream');
    sandbox.control.generate(150);
    sandbox.control.emit('notification:new', { notification_id: 'n1', person_id: 'p1' });
    const expected = () => storedIds(sandbox);
    let entries = await readStream(client, '{kitsu}:events');
    for (let i = 0; i < 200 && entries.length < expected().length + 1; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      entries = await readStream(client, '{kitsu}:events');
    }
    const logged = entries.filter((e) => e.fields.source === 'log').map((e) => e.fields.id);
    expect(logged).toEqual(expected());
    const unstored = entries.filter((e) => e.fields.source === 'live');
    expect(unstored.map((e) => [e.fields.name, e.fields.id])).toEqual([['notification:new', '']]);
    expect(running.stderr()).toContain('leading (fence 1)');
    expect(standby.stderr()).toContain('standing by');
    const row = sandbox.control.log()[0]!;
    const first = entries[0]!.fields;
    expect(JSON.parse(first.data!)).toEqual(row.data);
    expect(first.name).toBe(row.name);
  } finally {
    await running.stop();
    await standby.stop();
  }
});

it('writes only what the patterns admit', { timeout: 60_000 }, async () => {
  const running = await bridge('filtered', ['task:*', '!task:update']);
  try {
    await waitFor(() => running.stderr().includes('caught up'), `the backlog: ${running.stderr()}`);
    const want = storedIds(sandbox, (e) => e.name.startsWith('task:') && e.name !== 'task:update');
    const entries = await readStream(client, 'filtered');
    expect(entries.map((e) => e.fields.id)).toEqual(want);
    expect(await client.sendCommand(['EXISTS', '{filtered}:bridge'])).toBe(1);
  } finally {
    await running.stop();
  }
  // Other filters on the same stream are refused.
  const other = await bridge('filtered', ['comment:*']);
  await expect(other.done).rejects.toBeInstanceOf(UsageError);
});

it('refuses a stream key of another type', { timeout: 30_000 }, async () => {
  await client.sendCommand(['SET', 'taken', 'x']);
  const running = await bridge('taken');
  await expect(running.done).rejects.toThrow(/WRONGTYPE/);
  await running.stop();
});

it('writes each event once when the reply of a call that moved the position is lost', { timeout: 60_000 }, async () => {
  // A call with entries runs in Redis (entries, ids pruned to the last seconds, position) but its reply
  // never arrives, as when the connection drops at that moment: the bridge must read the
  // position and ids again rather than re-read from where it believed it was.
  // A log of its own, whose newest rows span more than the overlap (in the shared one the
  // first test's events are all of the last seconds, which the script would skip anyway).
  const quiet = await startSandbox({ seed: 6, events: 3_000, historySpan: 86_400 });
  const quietSession = await botSession(quiet);
  let lost = 0;
  const running = await bridge('lost-reply', [], {
    session: quietSession.session,
    wrapLink: (link) => ({
      ...link,
      eval: async (script, keys, args) => {
        const reply = await link.eval(script, keys, args);
        if (script === WRITE_SCRIPT && args[2] !== '' && args[5] !== '0' && lost === 0) {
          lost += 1;
          throw new Error('Socket closed unexpectedly (test)');
        }
        return reply;
      },
    }),
  });
  try {
    await waitFor(() => running.stderr().includes('caught up'), `the backlog: ${running.stderr()}`);
    expect(lost).toBe(1);
    expect(running.stderr()).toContain('could not bring the stream up to date (Socket closed unexpectedly (test))');
    const entries = await readStream(client, 'lost-reply');
    expect(entries.map((e) => e.fields.id)).toEqual(storedIds(quiet));
  } finally {
    await running.stop();
    await quietSession.done();
    await quiet.close();
  }
});

it('refuses a write call out of turn, writing nothing', { timeout: 30_000 }, async () => {
  const target = parseRedisUrl(redis.url);
  const abort = new AbortController();
  const reporter = new Reporter(new PassThrough(), { quiet: true, verbose: false, color: false });
  const link = await connectRedis(target, { reporter, signal: abort.signal });
  try {
    const keys = busKeys('turns');
    const keyList = [keys.stream, keys.state, keys.lease, keys.recent];
    await client.sendCommand(['SET', keys.lease, 'me/1']);
    await client.sendCommand(['HSET', keys.state, 'fence', '1', 'seq', '5']);
    const entry = ['100', 'id-1', 'task:new', '1970-01-01T00:01:40Z', '', '', '{}', 'log', ''];
    const call = (seq: string) => link.eval(WRITE_SCRIPT, keyList, ['me', '1', '101', '91', '0', '1', seq, ...entry]);
    expect(await call('4')).toEqual([-2, '5']);
    expect(await call('6')).toEqual([-2, '5']);
    expect(await client.sendCommand(['XLEN', keys.stream])).toBe(0);
    expect(await call('5')).toEqual([1]);
    expect(await client.sendCommand(['HGET', keys.state, 'seq'])).toBe('6');
    expect(await client.sendCommand(['HGET', keys.state, 'position'])).toBe('101');
    // The same id again, in turn: skipped.
    expect(await call('6')).toEqual([0]);
    expect(await client.sendCommand(['XLEN', keys.stream])).toBe(1);
  } finally {
    await link.close();
  }
});

it(
  'with --names each entry carries the names of what it is about, and listen --from prints them',
  { timeout: 60_000 },
  async () => {
    const resolver = createNameResolver(session.session);
    const running = await bridge('named', ['task:*'], { names: resolver });
    try {
      await waitFor(() => running.stderr().includes('caught up'), `the backlog: ${running.stderr()}`);
      const entries = await readStream(client, 'named');
      expect(entries.map((e) => e.fields.id)).toEqual(storedIds(sandbox, (e) => e.name.startsWith('task:')));
      const projectName = new Map(sandbox.projects.map((p) => [p.id, p.name]));
      const withProject = entries.filter((e) => e.fields.project_id !== '');
      expect(withProject.length).toBeGreaterThan(0);
      for (const entry of withProject) {
        expect(JSON.parse(entry.fields.names!).project).toBe(projectName.get(entry.fields.project_id!));
      }
    } finally {
      await running.stop();
      await resolver.close();
    }
    // The reader needs no Kitsu: the names come from the entries.
    const config = tempConfigDir();
    try {
      const reader = spawnCli(
        ['listen', '--from', redis.url, '--stream', 'named', '--since', '1h', '--count', '5', '--json'],
        {
          KITSU_TAIL_CONFIG_DIR: config.dir,
          NO_COLOR: '1',
        },
      );
      expect(await reader.exited).toBe(0);
      const printed = reader
        .stdout()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { project_id: string | null; names?: { project?: string } });
      expect(printed).toHaveLength(5);
      for (const record of printed) {
        if (record.project_id)
          expect(record.names?.project).toBe(sandbox.projects.find((p) => p.id === record.project_id)!.name);
      }
      expect(printed.some((record) => record.names?.project)).toBe(true);
    } finally {
      config.cleanup();
    }
  },
);

it(
  'with --names a Kitsu slow to answer look-ups costs the budget, not the stream: short ids',
  { timeout: 60_000 },
  async () => {
    const resolver = createNameResolver(session.session, { budgetMs: 200 });
    // Every look-up route answers after a minute; the log itself is quick.
    const slow = sandbox.control.failRoutes({ path: /^data\/(?!events)/, mode: { kind: 'slow', delayMs: 60_000 } });
    const running = await bridge('named-slowly', ['task:*'], { names: resolver });
    try {
      await waitFor(() => running.stderr().includes('caught up'), `the backlog: ${running.stderr()}`);
      const entries = await readStream(client, 'named-slowly');
      expect(entries.map((e) => e.fields.id)).toEqual(storedIds(sandbox, (e) => e.name.startsWith('task:')));
      const withProject = entries.filter((e) => e.fields.project_id !== '');
      expect(withProject.length).toBeGreaterThan(0);
      for (const entry of withProject) {
        expect(JSON.parse(entry.fields.names!).project).toBe(entry.fields.project_id!.slice(0, 8));
      }
    } finally {
      slow();
      await running.stop();
      await resolver.close();
    }
  },
);
