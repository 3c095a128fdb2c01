/**
 * Redis going away: while the sandbox makes events, the Redis server under a built bridge and
 * a built reader (`listen --from`) is stopped cleanly, left down for a few seconds, and
 * started again from its append-only file; then killed hard (SIGKILL; the AOF is fsynced at
 * every write) and started again. Nothing may be lost or repeated: the stream equals the log,
 * and the reader printed each entry once. Needs `npm run build` first.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { sleepMs, spawnCli, untilComplete } from '../helpers/bus.js';
import { botEnv, storedIds } from '../helpers/logs.js';
import { plainClient, startRedis, type PlainClient, type TestRedis } from '../helpers/redis.js';
import { tempConfigDir } from '../helpers/run-cli.js';

const STREAM = '{kitsu}:events';

let sandbox: Sandbox;
let redis: TestRedis;
let config: ReturnType<typeof tempConfigDir>;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 13, events: 1_000, historySpan: 86_400 });
  redis = await startRedis({ appendonly: true });
  config = tempConfigDir();
});

afterAll(async () => {
  sandbox?.control.setRate(0);
  await redis?.stop();
  if (redis) rmSync(redis.dir, { recursive: true, force: true });
  await sandbox?.close();
  config?.cleanup();
});

it(
  'loses and repeats nothing when Redis restarts from its AOF or is unreachable for a while',
  { timeout: 180_000 },
  async () => {
    const env = botEnv(sandbox, 'admin', config.dir);
    const bridge = spawnCli(['bridge', redis.url, '--lease', '2s'], env);
    const reader = spawnCli(['listen', '--from', redis.url, '--since', '1d', '--json'], {
      NO_COLOR: '1',
      KITSU_TAIL_CONFIG_DIR: config.dir,
    });
    const { port, dir } = redis;
    let client: PlainClient | null = null;
    try {
      while (!bridge.stderr().includes('caught up')) await sleepMs(20);
      sandbox.control.setRate(100);
      for (const how of ['SIGTERM', 'SIGKILL'] as const) {
        await sleepMs(1_000);
        const written = storedIds(sandbox).length;
        if (how === 'SIGTERM') await redis.shutdown();
        else {
          redis.process.kill('SIGKILL');
          await new Promise((r) => redis.process.once('exit', r));
        }
        // Down for a while, with events going on.
        await sleepMs(3_000);
        expect(storedIds(sandbox).length).toBeGreaterThan(written);
        redis = await startRedis({ appendonly: true, port, dir });
      }
      await sleepMs(1_000);
      sandbox.control.setRate(0);
      await sleepMs(50);
      client = await plainClient(redis.url);
      const ids = await untilComplete(client, STREAM, sandbox);
      const expected = storedIds(sandbox);
      expect(new Set(ids).size, 'repeated events').toBe(ids.length);
      expect(ids).toEqual(expected);
      expect(bridge.stderr()).toContain('cannot be reached');
      expect(bridge.stderr()).toContain('is back');
      // The reader went on from where it was, each entry once.
      const deadline = Date.now() + 30_000;
      const printed = () =>
        reader
          .stdout()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { id: string; source: string })
          .filter((r) => r.source === 'log')
          .map((r) => r.id);
      while (printed().length < expected.length && Date.now() < deadline) await sleepMs(100);
      expect(printed()).toEqual(expected);
    } finally {
      await client?.close();
      bridge.process.kill('SIGINT');
      reader.process.kill('SIGINT');
      await Promise.all([bridge.exited, reader.exited]);
    }
  },
);
