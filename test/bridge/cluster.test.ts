/**
 * A local Redis Cluster of three masters (redis-server --cluster-enabled, joined by
 * `redis-cli --cluster create`): the built bridge recognises it, its keys share the stream's
 * hash tag so every script runs on one node, and the stream equals the log; a built reader in
 * a consumer group reads it all. Needs `npm run build` first.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCluster } from '@redis/client';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { sleepMs, spawnCli } from '../helpers/bus.js';
import { botEnv, storedIds } from '../helpers/logs.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { tempConfigDir } from '../helpers/run-cli.js';

const exec = promisify(execFile);
const STREAM = '{kitsu}:events';

let sandbox: Sandbox;
let nodes: TestRedis[] = [];
let config: ReturnType<typeof tempConfigDir>;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 15, events: 800, historySpan: 86_400 });
  config = tempConfigDir();
  nodes = await Promise.all(
    [0, 1, 2].map(() => startRedis({ extraArgs: ['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000'] })),
  );
  const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
  await exec('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
  // Wait until every node agrees that the cluster is up.
  for (const node of nodes) {
    for (;;) {
      const { stdout } = await exec('redis-cli', ['-p', String(node.port), 'cluster', 'info']);
      if (stdout.includes('cluster_state:ok')) break;
      await sleepMs(100);
    }
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await sandbox?.close();
  config?.cleanup();
});

it('bridges into a three-master Redis Cluster and reads it back in a group', { timeout: 120_000 }, async () => {
  const url = `redis://127.0.0.1:${nodes[1]!.port}`;
  const env = botEnv(sandbox, 'admin', config.dir);
  const bridge = spawnCli(['bridge', url, '--lease', '2s'], env);
  const reader = spawnCli(
    ['listen', '--from', url, '--since', '1d', '--group', 'g', '--json', '--count', String(storedIds(sandbox).length)],
    {
      NO_COLOR: '1',
      KITSU_TAIL_CONFIG_DIR: config.dir,
    },
  );
  const cluster = createCluster({ RESP: 2, rootNodes: [{ url }] });
  cluster.on('error', () => undefined);
  await cluster.connect();
  try {
    const expected = storedIds(sandbox);
    const deadline = Date.now() + 60_000;
    let entries: [string, string[]][] = [];
    while (Date.now() < deadline) {
      entries = (await cluster.sendCommand(STREAM, true, ['XRANGE', STREAM, '-', '+'])) as [string, string[]][];
      if (entries.length >= expected.length) break;
      await sleepMs(100);
    }
    const ids = entries.map(([, flat]) => flat[flat.indexOf('id') + 1]);
    expect(ids).toEqual(expected);
    // The bookkeeping keys are in the stream's slot, on the node that holds it.
    const slot = Number(await cluster.sendCommand(STREAM, true, ['CLUSTER', 'KEYSLOT', STREAM]));
    for (const key of ['{kitsu}:events:bridge', '{kitsu}:events:lease', '{kitsu}:events:recent']) {
      expect(Number(await cluster.sendCommand(STREAM, true, ['CLUSTER', 'KEYSLOT', key]))).toBe(slot);
    }
    expect(await reader.exited, reader.stderr()).toBe(0);
    const read = reader
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { id: string }).id);
    expect(read).toEqual(expected);
  } finally {
    await cluster.close();
    bridge.process.kill('SIGINT');
    reader.process.kill('SIGINT');
    await Promise.all([bridge.exited, reader.exited]);
  }
});
