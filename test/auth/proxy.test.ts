/**
 * Proxies from the environment. The "proxy" here is a CONNECT proxy on 127.0.0.1 that
 * tunnels every request to the sandbox, whatever host it names, so no traffic leaves the
 * machine while the client still believes it talks to `kitsu.studio.test`.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { expectOneLine } from '../helpers/login.js';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';
import { closedPort } from '../helpers/transport.js';

let sandbox: Sandbox;
let proxy: Server;
let proxyUrl: string;
const tunnels: string[] = [];
const tmp = tempConfigDir();

beforeAll(async () => {
  sandbox = await startSandbox();
  proxy = createServer((_req, res) => {
    res.statusCode = 405;
    res.end();
  });
  proxy.on('connect', (req, socket, head) => {
    tunnels.push(req.url ?? '');
    if (req.url?.startsWith('members-only.')) {
      socket.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
      return;
    }
    const upstream = connect(sandbox.port, '127.0.0.1', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  proxy.closeAllConnections();
  await new Promise((resolve) => proxy.close(resolve));
  await sandbox.close();
  tmp.cleanup();
});

describe('proxies', () => {
  it('goes through HTTP_PROXY to a host that is not this machine', async () => {
    const bot = sandbox.control.createBot('admin');
    const result = await runCli(['whoami', '--json'], {
      env: {
        KITSU_TAIL_CONFIG_DIR: tmp.dir,
        HTTP_PROXY: proxyUrl,
        KITSU_HOST: 'http://kitsu.studio.test',
        KITSU_TOKEN: bot.token,
      },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).host).toBe('http://kitsu.studio.test');
    expect(tunnels).toContain('kitsu.studio.test:80');
  });

  it('never sends loopback traffic through a proxy', async () => {
    const bot = sandbox.control.createBot('admin');
    const before = tunnels.length;
    const result = await runCli(['whoami'], {
      env: {
        KITSU_TAIL_CONFIG_DIR: tmp.dir,
        HTTP_PROXY: proxyUrl,
        HTTPS_PROXY: proxyUrl,
        KITSU_HOST: sandbox.url,
        KITSU_TOKEN: bot.token,
      },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(tunnels.length).toBe(before);
  });

  it('goes straight to a host NO_PROXY names, and everywhere with NO_PROXY=*', async () => {
    const bot = sandbox.control.createBot('admin');
    const before = tunnels.length;
    // 0.0.0.0 is not loopback, so only NO_PROXY keeps it from the proxy; it reaches the sandbox.
    const env = {
      KITSU_TAIL_CONFIG_DIR: tmp.dir,
      HTTP_PROXY: proxyUrl,
      KITSU_HOST: `http://0.0.0.0:${sandbox.port}`,
      KITSU_TOKEN: bot.token,
    };
    for (const noProxy of ['*', 'localhost, 0.0.0.0', `.example.com,0.0.0.0:${sandbox.port}`]) {
      const result = await runCli(['whoami', '--verbose'], { env: { ...env, NO_PROXY: noProxy } });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).not.toContain('using the proxy');
    }
    expect(tunnels.slice(before)).toEqual([]);
    const other = await runCli(['whoami'], { env: { ...env, NO_PROXY: '0.0.0.0:1' } });
    expect(other.code, other.stderr).toBe(0);
    expect(new Set(tunnels.slice(before))).toEqual(new Set([`0.0.0.0:${sandbox.port}`]));
  });

  it('reads a proxy given without a scheme, as curl does', async () => {
    const bot = sandbox.control.createBot('admin');
    const before = tunnels.length;
    const result = await runCli(['whoami', '--json'], {
      env: {
        KITSU_TAIL_CONFIG_DIR: tmp.dir,
        http_proxy: proxyUrl.replace('http://', ''),
        KITSU_HOST: 'http://kitsu.studio.test',
        KITSU_TOKEN: bot.token,
      },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(tunnels.slice(before)).toContain('kitsu.studio.test:80');
  });

  it('blames the proxy, not Kitsu, when the proxy fails', async () => {
    const env = { KITSU_TAIL_CONFIG_DIR: tmp.dir, KITSU_TOKEN: 'x.y.z' };
    const port = await closedPort();
    const refused = await runCli(['whoami'], {
      env: { ...env, HTTP_PROXY: `http://127.0.0.1:${port}`, KITSU_HOST: 'http://kitsu.studio.test' },
    });
    expect(refused.code).toBe(5);
    expectOneLine(refused);
    expect(refused.stderr).toContain(`cannot reach the proxy 127.0.0.1:${port} (HTTP_PROXY): connection refused`);
    expect(refused.stderr).toContain('NO_PROXY');

    const denied = await runCli(['whoami'], {
      env: { ...env, HTTP_PROXY: proxyUrl, KITSU_HOST: 'http://members-only.studio.test' },
    });
    expect(denied.code).toBe(5);
    expectOneLine(denied);
    expect(denied.stderr).toContain('refused to connect to members-only.studio.test with 407');
    expect(denied.stderr).toContain("proxy's user and password");
  });

  it('says which variable holds a proxy address it cannot read, without quoting it', async () => {
    const result = await runCli(['whoami'], {
      env: {
        KITSU_TAIL_CONFIG_DIR: tmp.dir,
        HTTPS_PROXY: 'http://user:proxy-secret@bad host:3128',
        KITSU_HOST: 'https://kitsu.studio.test',
        KITSU_TOKEN: 'x.y.z',
      },
    });
    expect(result.code).toBe(2);
    expectOneLine(result);
    expect(result.stderr).toContain('HTTPS_PROXY is not a proxy address');
    expect(result.stderr).not.toContain('proxy-secret');
  });
});
