/**
 * The event stream behind a proxy: the socket goes through the same HTTPS_PROXY / HTTP_PROXY
 * as the REST calls, over websocket and over polling, and honours NO_PROXY and loopback.
 *
 * The Kitsu is addressed as 0.0.0.0, which is not loopback (so a proxy applies) yet reaches
 * this machine: a socket that wrongly bypassed the proxy would still connect, and the test
 * sees it by the tunnels the proxy did not open, never by traffic leaving the machine.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { botEnv, startInProcess, waitUntil } from '../helpers/listen.js';
import { tempConfigDir } from '../helpers/run-cli.js';
import { closedPort, startConnectProxy, startTlsFront, type Tunnel } from '../helpers/transport.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'tls');
let sandbox: Sandbox;
const tmp = tempConfigDir();
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
  await sandbox.close();
  tmp.cleanup();
});

const socketTunnels = (tunnels: readonly Tunnel[], transport: string) =>
  tunnels.filter((t) => t.firstLine.startsWith('GET /socket.io/?') && t.firstLine.includes(`transport=${transport}`));

/** Runs `listen --count 1` until it is connected, emits one event, and expects it printed. */
async function listenForOne(
  env: Record<string, string>,
  transport: 'websocket' | 'polling',
  extra: string[] = [],
): Promise<string> {
  const live = startInProcess(['listen', '--json', '--count', '1', '--no-backfill', ...extra], env);
  await live.waitForStderr(`(${transport}); press Ctrl-C`);
  await waitUntil(() => sandbox.control.connectedSockets() >= 1, 'the socket to be counted');
  sandbox.control.emit('task:update', { task_id: `via-${transport}` });
  expect(await live.exit, live.stderr()).toBe(0);
  expect(live.records().map((r) => r.data.task_id)).toEqual([`via-${transport}`]);
  return live.stderr();
}

describe('the event stream behind a proxy', () => {
  it('goes through HTTP_PROXY over websocket', async () => {
    const proxy = await startConnectProxy();
    cleanups.push(() => proxy.close());
    const host = `http://0.0.0.0:${sandbox.port}`;
    await listenForOne({ ...botEnv(sandbox, tmp.dir), KITSU_HOST: host, HTTP_PROXY: proxy.url }, 'websocket');
    expect(socketTunnels(proxy.tunnels, 'websocket').map((t) => t.target)).toEqual([`0.0.0.0:${sandbox.port}`]);
  });

  it('goes through the proxy over polling when the proxy refuses websockets', async () => {
    const proxy = await startConnectProxy({ refuseWebsocket: true });
    cleanups.push(() => proxy.close());
    const host = `http://0.0.0.0:${sandbox.port}`;
    await listenForOne({ ...botEnv(sandbox, tmp.dir), KITSU_HOST: host, http_proxy: proxy.url }, 'polling');
    expect(socketTunnels(proxy.tunnels, 'websocket').length).toBeGreaterThanOrEqual(1);
    expect(socketTunnels(proxy.tunnels, 'polling').length).toBeGreaterThanOrEqual(1);
  });

  it('goes through HTTPS_PROXY to a wss:// event host, verifying it with --ca-file', async () => {
    const front = await startTlsFront(sandbox.port, {
      key: readFileSync(join(fixtures, 'public-server.key'), 'utf8'),
      cert: readFileSync(join(fixtures, 'public-server.pem'), 'utf8'),
    });
    const proxy = await startConnectProxy();
    cleanups.push(
      () => front.close(),
      () => proxy.close(),
    );
    const env = {
      ...botEnv(sandbox, tmp.dir),
      KITSU_HOST: `http://0.0.0.0:${sandbox.port}`,
      KITSU_EVENT_HOST: `https://0.0.0.0:${front.port}`,
      HTTPS_PROXY: proxy.url,
    };
    await listenForOne(env, 'websocket', ['--ca-file', join(fixtures, 'public-ca.pem')]);
    // Only the event stream is https, so only it used HTTPS_PROXY.
    expect(new Set(proxy.tunnels.map((t) => t.target))).toEqual(new Set([`0.0.0.0:${front.port}`]));
  });

  it('blames the proxy, by its variable, when it refuses the event host or cannot be reached', async () => {
    const proxy = await startConnectProxy({ status: 407 });
    cleanups.push(() => proxy.close());
    const closedProxy = `http://127.0.0.1:${await closedPort()}`;
    // The API is on loopback, so only the event stream uses the proxy.
    const env = { ...botEnv(sandbox, tmp.dir), KITSU_EVENT_HOST: `http://0.0.0.0:${sandbox.port}` };
    const denied = startInProcess(['listen', '--max-reconnects', '0'], { ...env, HTTP_PROXY: proxy.url });
    expect(await denied.exit).toBe(5);
    expect(denied.stderr()).toContain(
      `the proxy ${new URL(proxy.url).host} (HTTP_PROXY) refused to connect to 0.0.0.0:${sandbox.port} with 407`,
    );
    const unreachable = startInProcess(['listen', '--max-reconnects', '0'], { ...env, HTTP_PROXY: closedProxy });
    expect(await unreachable.exit).toBe(5);
    expect(unreachable.stderr()).toContain(
      `cannot reach the proxy ${new URL(closedProxy).host} (HTTP_PROXY): connection refused`,
    );
  });

  it('leaves NO_PROXY hosts and loopback alone', async () => {
    const proxy = await startConnectProxy();
    cleanups.push(() => proxy.close());
    const base = botEnv(sandbox, tmp.dir);
    await listenForOne(
      { ...base, KITSU_HOST: `http://0.0.0.0:${sandbox.port}`, HTTP_PROXY: proxy.url, NO_PROXY: '0.0.0.0' },
      'websocket',
    );
    await listenForOne({ ...base, HTTP_PROXY: proxy.url }, 'websocket');
    expect(proxy.tunnels).toEqual([]);
  });
});
