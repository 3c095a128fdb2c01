/**
 * The one module that knows the Redis client library. The bus needs little from it: send a
 * command (routed by key on a cluster), run a Lua script by its SHA1, and survive restarts.
 *
 * Why node-redis (`@redis/client`) and not ioredis (both compared in December 2026, for
 * Node 20): both are alive (releases in November 2026), both speak RESP3, reconnect on their
 * own and queue commands while offline, and both run Redis Cluster. What decided:
 * - it is the client Redis itself maintains, and the one Redis recommends for new projects;
 *   ioredis says maintenance is "best effort";
 * - `@redis/client` has no dependencies at all (ioredis pulls five), and is only loaded by
 *   `bridge` and `listen --from` (a dynamic import below), so start-up of every other command
 *   is unchanged;
 * - its reconnect strategy is handed the error that broke the connection, so a wrong password
 *   (WRONGPASS, NOAUTH) ends the run with exit 3 while a refused connection is retried with
 *   back-off for as long as it takes;
 * - `sendCommand` on a cluster takes the key that routes it, which is all the bus needs: every
 *   key of one stream shares its hash tag, so each script runs on one node (EVALSHA, and EVAL
 *   once when the node answers NOSCRIPT, as after a restart).
 */
import { createHash } from 'node:crypto';
import { backoffDelay } from '../core/backoff.js';
import { AuthError, CliError, NetworkError, PermissionError, UsageError } from '../errors.js';
import type { Reporter } from '../output/reporter.js';

export interface RedisTarget {
  url: URL;
  /** The URL as messages show it: never with the password. */
  display: string;
  db: number;
}

/** `redis://[[user]:password@]host[:port][/db]` or `rediss://…` (TLS). */
export function parseRedisUrl(text: string, flag = 'the Redis URL'): RedisTarget {
  const hint = 'give it as redis://HOST:PORT/DB, such as redis://127.0.0.1:6379/0 (rediss:// for TLS)';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${flag} '${redactUrl(text)}' is not a URL`, hint);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new UsageError(`${flag} must start with redis:// or rediss://, not ${url.protocol}//`, hint);
  }
  if (url.hostname === '') throw new UsageError(`${flag} names no host`, hint);
  const path = url.pathname.replace(/^\/+/, '');
  if (path !== '' && !/^\d+$/.test(path)) {
    throw new UsageError(`${flag}: '${path}' is not a database number`, hint);
  }
  const db = path === '' ? 0 : Number(path);
  const shown = new URL(url.href);
  if (shown.password) shown.password = '***';
  return { url, display: shown.href, db };
}

function redactUrl(text: string): string {
  return text.replace(/\/\/([^/@]*)@/, '//***@');
}

/** A Lua script, sent by its SHA1 and loaded again when a node does not know it. */
export interface LuaScript {
  source: string;
  sha: string;
}

export function luaScript(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

export interface RedisLink {
  /** Sends a command; `key` routes it on a cluster. */
  call(key: string, args: string[]): Promise<unknown>;
  /** EVALSHA, or EVAL when the node does not have the script (a restarted Redis). */
  eval(script: LuaScript, keys: string[], args: string[]): Promise<unknown>;
  readonly cluster: boolean;
  close(): Promise<void>;
}

export interface ConnectOptions {
  reporter: Reporter;
  signal: AbortSignal;
  /** For messages: "the bridge", "the reader". */
  who?: string;
}

/** Errors that no retry can cure. */
function fatalReply(error: unknown): CliError | null {
  const message = error instanceof Error ? error.message : String(error);
  if (/^(WRONGPASS|NOAUTH)/.test(message)) {
    return new AuthError(
      `Redis refused the credentials (${message.split(/[.,]/)[0]})`,
      'give the password in the URL, as redis://:PASSWORD@HOST:PORT/DB (or redis://USER:PASSWORD@… for an ACL user)',
    );
  }
  if (/^NOPERM/.test(message)) {
    return new PermissionError(
      `Redis refused a command to this user (${message})`,
      'allow the stream commands, EVALSHA and EVAL for its keys',
    );
  }
  if (/^WRONGTYPE/.test(message)) {
    return new UsageError(
      'a key of the bus holds another type of value in Redis (WRONGTYPE)',
      'choose another --stream, or remove the keys that are in the way',
    );
  }
  if (
    /^ERR (DB index is out of range|invalid DB index)/.test(message) ||
    /^ERR SELECT is not allowed in cluster mode/.test(message)
  ) {
    return new UsageError(
      `Redis refused the database number (${message})`,
      'a cluster has database 0 only; a server has 0 to 15 unless configured otherwise',
    );
  }
  return null;
}

/**
 * A Redis error as the run should end with it (wrong password, wrong type…), or null when it
 * is worth a retry (a lost connection, a restarting server) or is not from Redis at all.
 */
export function fatalRedisError(error: unknown): CliError | null {
  return error instanceof CliError ? null : fatalReply(error);
}

/**
 * Connects, waiting with back-off while Redis cannot be reached (said once on stderr, and
 * again when it is back). A cluster is recognised by `INFO cluster` and then driven as one.
 */
export async function connectRedis(target: RedisTarget, options: ConnectOptions): Promise<RedisLink> {
  const { createClient, createCluster } = await import('./redis-library.js');
  const { reporter } = options;
  let down: string | null = null;
  let fatal: CliError | null = null;
  const reconnectStrategy = (retries: number, cause: Error): number | Error => {
    const stop = fatalReply(cause);
    if (stop) {
      fatal = stop;
      return cause;
    }
    if (options.signal.aborted) return cause;
    const delay = Math.max(100, backoffDelay(retries, { baseMs: 500, capMs: 5_000 }));
    const why = cause.message || cause.name;
    if (down === null) reporter.info(`Redis at ${target.display} cannot be reached (${why}); retrying with back-off`);
    else reporter.verbose(`Redis still unreachable (${why}); retry ${retries + 1} in ${delay} ms`);
    down = why;
    return delay;
  };
  const onReady = () => {
    if (down !== null) reporter.info(`Redis at ${target.display} is back`);
    down = null;
  };
  const socket = {
    reconnectStrategy,
    connectTimeout: 5_000,
    ...(target.url.protocol === 'rediss:' ? { tls: true as const } : {}),
  };
  const credentials = {
    ...(target.url.username ? { username: decodeURIComponent(target.url.username) } : {}),
    ...(target.url.password ? { password: decodeURIComponent(target.url.password) } : {}),
  };

  // RESP2: replies as flat arrays (HGETALL, XREAD), the shapes the bus code reads.
  const client = createClient({ url: target.url.href, socket, RESP: 2 });
  client.on('error', () => undefined); // Each failure reaches reconnectStrategy; said there.
  client.on('ready', onReady);
  const connected = client.connect().then(
    () => null,
    (error: unknown) => fatal ?? error,
  );
  const aborted = new Promise<'aborted'>((resolve) => {
    if (options.signal.aborted) resolve('aborted');
    options.signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  const outcome = await Promise.race([connected, aborted]);
  if (outcome === 'aborted') {
    client.destroy();
    throw options.signal.reason;
  }
  if (outcome !== null) {
    client.destroy();
    throw (
      (outcome instanceof CliError ? outcome : fatalReply(outcome)) ??
      new NetworkError(`cannot connect to Redis at ${target.display}: ${String(outcome)}`)
    );
  }

  const info = String(await client.sendCommand(['INFO', 'cluster']));
  if (!/cluster_enabled:1/.test(info)) {
    return {
      cluster: false,
      call: (_key, args) => client.sendCommand(args),
      eval: (script, keys, args) => evalWith((a) => client.sendCommand(a), script, keys, args),
      close: async () => {
        await client.close().catch(() => client.destroy());
      },
    };
  }
  client.destroy();
  if (target.db !== 0)
    throw new UsageError(`a Redis Cluster has database 0 only, not ${target.db}`, 'drop the /DB from the URL');
  const cluster = createCluster({
    RESP: 2,
    rootNodes: [{ url: target.url.href, socket }],
    defaults: { ...credentials, socket },
  });
  cluster.on('error', () => undefined);
  await cluster.connect();
  const send = (key: string, args: string[]) => cluster.sendCommand(key, false, args);
  return {
    cluster: true,
    call: send,
    eval: (script, keys, args) => evalWith((a) => send(keys[0]!, a), script, keys, args),
    close: async () => {
      await cluster.close().catch(() => cluster.destroy());
    },
  };
}

async function evalWith(
  send: (args: string[]) => Promise<unknown>,
  script: LuaScript,
  keys: string[],
  args: string[],
): Promise<unknown> {
  const tail = [String(keys.length), ...keys, ...args];
  try {
    return await send(['EVALSHA', script.sha, ...tail]);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return send(['EVAL', script.source, ...tail]);
  }
}
