/**
 * Proxies from the environment, decided once for the REST client and the event stream alike:
 * HTTPS_PROXY for https (HTTP_PROXY when it is unset), HTTP_PROXY for http, NO_PROXY for the
 * exceptions, and never for loopback, which a proxy could not reach.
 *
 * Both go through one kind of Agent whose connections are CONNECT tunnels: the REST client
 * hands it to http(s).request (transport.ts), and socket.io-client, which knows no proxies,
 * hands it to both of its transports (engine.io-client 6.6 passes it to `ws` for the
 * websocket and, through xmlhttprequest-ssl, to http(s).request for polling).
 *
 * Our own tunnel rather than https-proxy-agent: swapped in, it failed 2 of the 5 tests of
 * test/listen/transport-proxy.test.ts (its Agent drops the agent's TLS options, so --ca-file
 * never reached a wss:// event host; a refused CONNECT is replayed as the server's answer, so
 * the user would not learn that the proxy said 407), and it sets no time limit on the proxy's
 * answer nor ends a tunnel still opening when the agent is destroyed. proxy-from-env reads
 * process.env only, where commands take their environment from the Context.
 */
import { Agent as HttpAgent, type ClientRequestArgs } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { connect as netConnect, isIP, isIPv6, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { UsageError } from '../errors.js';
import { isLoopback, SCHEME } from './host.js';
import { trustedContext } from './tls.js';
import type { HttpProxy, TlsSettings } from './types.js';

type Env = Record<string, string | undefined>;

/** A proxy variable as curl reads it: `proxy:3128` means http://proxy:3128. */
function proxyFromEnv(env: Env, name: 'http_proxy' | 'https_proxy'): HttpProxy | undefined {
  const variable = env[name] !== undefined ? name : name.toUpperCase();
  const text = env[variable]?.trim();
  if (!text) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(SCHEME.test(text) ? text : `http://${text}`);
  } catch {
    url = undefined;
  }
  // The value is not quoted back: it may hold the proxy's password.
  if (!url?.hostname || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UsageError(`${variable} is not a proxy address`, `set it like http://proxy.studio.com:3128, or unset it`);
  }
  return { variable, url };
}

function defaultPort(url: URL): number {
  return Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
}

/**
 * Whether NO_PROXY exempts this host, read as undici and curl do: names match themselves and
 * their subdomains (`.studio.com` and `*.studio.com` too), `name:port` only that port, and `*`
 * everything.
 */
export function exemptFromProxy(hostname: string, port: number, noProxy: string): boolean {
  const host = hostname.toLowerCase();
  for (const entry of noProxy.split(/[,\s]+/)) {
    if (entry === '*') return true;
    const withPort = /^(.+):(\d+)$/.exec(entry);
    if (!entry || (withPort && Number(withPort[2]) !== port)) continue;
    const name = (withPort ? withPort[1]! : entry).replace(/^\*?\./, '').toLowerCase();
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** The proxy that requests to `target` go through, or undefined for a direct connection. */
export function proxyFor(target: URL, env: Env): HttpProxy | undefined {
  if (isLoopback(target)) return undefined;
  if (exemptFromProxy(target.hostname, defaultPort(target), env.no_proxy ?? env.NO_PROXY ?? '')) return undefined;
  const http = proxyFromEnv(env, 'http_proxy');
  return target.protocol === 'https:' ? (proxyFromEnv(env, 'https_proxy') ?? http) : http;
}

/** How messages name a proxy: `the proxy proxy.studio.com:3128 (HTTPS_PROXY)`. */
export function describeProxy(proxy: HttpProxy): string {
  return `the proxy ${proxy.url.host} (${proxy.variable})`;
}

/** The code of a tunnel that could not be opened; its message names the proxy and why. */
export const PROXY_FAILED = 'PROXY_FAILED';

// What a tunnel may take to open; the stream's own connection time-out is the same.
const TUNNEL_TIMEOUT_MS = 20_000;
const MAX_PROXY_ANSWER = 16_384;

/** A connection to `host:port` through the proxy's CONNECT; rejects with words for a person. */
function openTunnel(proxy: HttpProxy, host: string, port: number, tunnels: Set<Duplex>): Promise<Socket> {
  const target = `${isIPv6(host) ? `[${host}]` : host}:${port}`;
  const where = describeProxy(proxy);
  const proxyPort = defaultPort(proxy.url);
  const proxyHost = proxy.url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket: Socket =
      proxy.url.protocol === 'https:'
        ? tlsConnect({ host: proxyHost, port: proxyPort, servername: isIP(proxyHost) ? '' : proxyHost })
        : netConnect({ host: proxyHost, port: proxyPort });
    tunnels.add(socket);
    socket.once('close', () => tunnels.delete(socket));
    let answer = Buffer.alloc(0);
    const fail = (message: string) => {
      socket.destroy();
      // The code tells the REST client that the words are already about the proxy.
      reject(Object.assign(new Error(message), { code: PROXY_FAILED }));
    };
    const onError = (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'ECONNREFUSED'
          ? 'connection refused'
          : error.code === 'ENOTFOUND'
            ? 'no such name in DNS'
            : error.message;
      fail(`cannot reach ${where}: ${reason}`);
    };
    const onData = (chunk: Buffer) => {
      answer = Buffer.concat([answer, chunk]);
      const end = answer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (answer.length > MAX_PROXY_ANSWER) fail(`${where} sent an answer that is not HTTP`);
        return;
      }
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('end', onEnd);
      socket.setTimeout(0);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer.toString('latin1'))?.[1];
      if (status === undefined) return fail(`${where} sent an answer that is not HTTP`);
      if (!status.startsWith('2')) return fail(`${where} refused to connect to ${target} with ${status}`);
      // Anything past the answer already belongs to the tunnelled connection.
      const rest = answer.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    const onEnd = () => fail(`${where} closed the connection before answering`);
    socket.on('error', onError);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.setTimeout(TUNNEL_TIMEOUT_MS, () => fail(`${where} did not answer in time`));
    const { username, password } = proxy.url;
    const auth = username
      ? `Proxy-Authorization: Basic ${Buffer.from(`${decodeURIComponent(username)}:${decodeURIComponent(password)}`).toString('base64')}\r\n`
      : '';
    socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth}\r\n`);
  });
}

type ConnectionCallback = (error: Error | null, stream: Duplex) => void;

/**
 * Makes `agent` open its connections through the proxy (TLS inside the tunnel for https);
 * its tunnels, those still opening included, end with the agent.
 */
function tunnelThrough<T extends HttpAgent>(agent: T, proxy: HttpProxy, secure: boolean): T {
  const tunnels = new Set<Duplex>();
  agent.createConnection = (options: ClientRequestArgs, callback?: ConnectionCallback) => {
    const host = (options.hostname ?? options.host ?? 'localhost').replace(/^\[|\]$/g, '');
    const port = Number(options.port) || (secure ? 443 : 80);
    openTunnel(proxy, host, port, tunnels).then(
      (tunnel) => {
        if (!secure) return callback?.(null, tunnel);
        // The agent's options (trust, SNI from the Host header) are already merged in.
        const tls = tlsConnect({ ...(options as ConnectionOptions), socket: tunnel });
        callback?.(null, tls);
      },
      (error: Error) => callback?.(error, undefined as unknown as Duplex),
    );
    return undefined;
  };
  const destroy = agent.destroy.bind(agent);
  agent.destroy = () => {
    for (const socket of tunnels) socket.destroy();
    destroy();
  };
  return agent;
}

/**
 * The Agent for the event stream's connections to `target`: the same trust as the REST
 * client (trustedContext) and, when the environment names a proxy for it, a tunnel through
 * that proxy. End it with `destroy()`.
 */
export function createStreamAgent(
  target: URL,
  tls: TlsSettings,
  proxy: HttpProxy | undefined,
  keepAlive = false,
): HttpAgent {
  const secure = target.protocol === 'https:';
  const secureContext = trustedContext(tls);
  const agent = secure
    ? new HttpsAgent({
        keepAlive,
        rejectUnauthorized: tls.rejectUnauthorized,
        ...(secureContext ? { secureContext } : {}),
      })
    : new HttpAgent({ keepAlive });
  return proxy ? tunnelThrough(agent, proxy, secure) : agent;
}
