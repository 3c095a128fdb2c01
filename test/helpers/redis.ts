/**
 * A real redis-server for a test: on 127.0.0.1, a free port, a temporary folder, persistence
 * as the test asks, stopped (and its folder removed) by `stop()`. Never the system service.
 * Also the plain-client helpers the bus tests use to look at what the bridge wrote: they use
 * @redis/client directly, not the bridge's own code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';

export interface RedisOptions {
  /** Append-only file with fsync always (a restart keeps every write). Default: no persistence. */
  appendonly?: boolean;
  /** Reuse this folder and port (a restart of the same server). */
  dir?: string;
  port?: number;
  extraArgs?: string[];
}

export interface TestRedis {
  port: number;
  url: string;
  dir: string;
  process: ChildProcess;
  /** Stops it (SIGTERM: a clean shutdown that writes the AOF), keeps the folder. */
  shutdown(): Promise<void>;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'kitsu-tail-redis-'));
  const port = options.port ?? (await freePort());
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.appendonly ? 'yes' : 'no',
    '--appendfsync',
    'always',
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
    ...(options.extraArgs ?? []),
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
    const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const loading = String(await client.sendCommand(['INFO', 'persistence']));
      await client.close();
      if (/loading:0/.test(loading)) break;
    } catch {
      client.destroy();
    }
    if (Date.now() > deadline) throw new Error(`redis-server did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const shutdown = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    dir,
    process: child,
    shutdown,
    stop: async () => {
      await shutdown();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the library's own generic defaults
export type PlainClient = ReturnType<typeof createClient<{}, {}, {}, 2>>;

/** A plain client for looking at the stream; close it with `close()`. */
export async function plainClient(url: string): Promise<PlainClient> {
  const client = createClient({ url, RESP: 2 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export interface StreamEntry {
  streamId: string;
  fields: Record<string, string>;
}

/** Every entry of a stream, oldest first. */
export async function readStream(client: PlainClient, key: string): Promise<StreamEntry[]> {
  const out: StreamEntry[] = [];
  let from = '-';
  for (;;) {
    const page = (await client.sendCommand(['XRANGE', key, from, '+', 'COUNT', '5000'])) as [string, string[]][];
    for (const [streamId, flat] of page) {
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
      out.push({ streamId, fields });
    }
    if (page.length < 5000) return out;
    from = `(${page[page.length - 1]![0]}`;
  }
}
