/**
 * The live event stream: socket.io to namespace `/events` (README.md beside this file, Event stream), kept up for
 * as long as the caller wants it.
 *
 * Reconnection is run here rather than by socket.io-client's own loop, because the handshake
 * header has to hold a token that is current at the moment of each attempt: socket.io's
 * `reconnect_attempt` listener cannot wait for a renewal before the Engine is created, while
 * our loop awaits `session.accessToken()` and then opens a fresh Manager with that header.
 * It is also how a refusal is handled: Zou refuses a token with a DISCONNECT before CONNECT
 * (`io server disconnect`, README.md, Event stream), after which socket.io-client never retries on its own.
 */
import type { Agent } from 'node:http';
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import { backoffDelay } from '../core/backoff.js';
import { sleep } from '../core/sleep.js';
import type { Clock } from '../context.js';
import { AuthError, CliError, NetworkError } from '../errors.js';
import { tlsFailure } from './tls.js';
import { createStreamAgent, PROXY_FAILED } from './proxy.js';
import type { Session } from './types.js';

const EVENTS_NAMESPACE = '/events';
/** How long a connection attempt may take: socket.io-client's own default. */
const CONNECT_TIMEOUT_MS = 20_000;
/** Added to the server's pingInterval + pingTimeout before the watchdog acts. */
const WATCHDOG_SLACK_MS = 2_000;

export interface ConnectedInfo {
  /** `websocket` or `polling`. */
  transport: string;
  /** False for the first connection of this run. */
  reconnect: boolean;
}

export interface DisconnectedInfo {
  /** socket.io's reason (`transport close`, `io server disconnect`, `ping timeout`…) or ours. */
  reason: string;
  /** The last moment the connection was known to be alive: its last packet, ping included. */
  lastAliveAtMs: number;
}

export interface RetryInfo {
  /** 1 for the first retry after a failure or a disconnect. */
  attempt: number;
  delayMs: number;
  /** Why the last attempt failed, for a person. */
  reason: string;
  /** The stream could not be reached at all (refused connection, 5xx, time-out, TLS). */
  unreachable: boolean;
}

export interface EventStreamHandlers {
  /** Every event of the namespace, `main:test` included; `payload` is the flat data dict. */
  onEvent(name: string, payload: unknown, receivedAtMs: number): void;
  onConnected(info: ConnectedInfo): void;
  onDisconnected(info: DisconnectedInfo): void;
  onRetry(info: RetryInfo): void;
  /** The stream refused the token and it was renewed; the next attempt uses the new one. */
  onRenewed?(): void;
}

export interface EventStreamOptions {
  handlers: EventStreamHandlers;
  /** Closing it ends the stream; runEventStream then resolves. */
  signal: AbortSignal;
  clock: Clock;
  /** Give up (NetworkError, exit 5) after this many failed attempts in a row. Default: never. */
  maxReconnects?: number;
}

type Unreachable = { kind: 'unreachable'; reason: string };
type Outcome =
  { kind: 'refused' } | Unreachable | { kind: 'closed'; reason: string; lastAliveAtMs: number } | { kind: 'aborted' };

/**
 * Connects and stays connected until `options.signal` aborts (then resolves). Rejects with
 * AuthError when the stream refuses a token that cannot be renewed, and NetworkError after
 * `maxReconnects` failed attempts in a row.
 */
export async function runEventStream(session: Session, options: EventStreamOptions): Promise<void> {
  // One agent for the run: its TLS settings are parsed once, its proxy tunnels end with it.
  const agent = createStreamAgent(new URL(session.eventUrl), session.tls, session.eventProxy);
  try {
    await keepConnected(session, agent, options);
  } finally {
    agent.destroy();
  }
}

async function keepConnected(session: Session, agent: Agent, options: EventStreamOptions): Promise<void> {
  const { handlers, signal } = options;
  let failures = 0;
  let renewedAfterRefusal = false;
  let everConnected = false;

  while (!signal.aborted) {
    let outcome: Outcome;
    const token = await tokenOrTrouble(() => session.accessToken());
    if (signal.aborted) return;
    if (typeof token !== 'string') {
      outcome = token;
    } else {
      outcome = await connectOnce(session, agent, token, options, everConnected, () => {
        everConnected = true;
        failures = 0;
        renewedAfterRefusal = false;
      });
    }
    if (outcome.kind === 'aborted' || signal.aborted) return;

    if (outcome.kind === 'refused') {
      if (renewedAfterRefusal) {
        throw new AuthError(
          'the event stream refused the session even with a renewed token (the account may be inactive or need two-factor set-up)',
        );
      }
      const renewed = await tokenOrTrouble(() => renewAfterRefusal(session));
      if (typeof renewed === 'string') {
        renewedAfterRefusal = true;
        handlers.onRenewed?.();
        continue;
      }
      outcome = renewed;
    }

    if (outcome.kind === 'closed') {
      handlers.onDisconnected({ reason: outcome.reason, lastAliveAtMs: outcome.lastAliveAtMs });
    } else {
      failures += 1;
    }
    // The first attempt of a run is not a reconnect; every later one is.
    const attempt = everConnected ? failures + 1 : failures;
    if (options.maxReconnects !== undefined && attempt > options.maxReconnects) {
      const n = options.maxReconnects;
      throw new NetworkError(
        `the event stream is down (${outcome.reason}) and --max-reconnects ${n} allows no more attempts`,
        'check the event host and the network, or raise --max-reconnects',
      );
    }
    const delayMs = backoffDelay(attempt - 1);
    handlers.onRetry({ attempt, delayMs, reason: outcome.reason, unreachable: outcome.kind === 'unreachable' });
    await sleep(delayMs, signal);
  }
}

/**
 * A token, or why there is none for now: the API that renews tokens may be down for a while
 * when the stream is; that is worth a retry. An AuthError (the session has ended) is not.
 */
async function tokenOrTrouble(get: () => Promise<string>): Promise<string | Unreachable> {
  try {
    return await get();
  } catch (error) {
    if (error instanceof AuthError || !(error instanceof CliError)) throw error;
    return { kind: 'unreachable', reason: `could not renew the token: ${error.message.replace(/\.$/, '')}` };
  }
}

async function renewAfterRefusal(session: Session): Promise<string> {
  try {
    return await session.renew();
  } catch (error) {
    if (error instanceof AuthError) {
      throw new AuthError(
        `the event stream refused the token and it cannot be renewed: ${error.message.replace(/\.$/, '')}`,
        error.hint,
      );
    }
    throw error;
  }
}

/** One connection, from the handshake to its end. */
async function connectOnce(
  session: Session,
  agent: Agent,
  token: string,
  options: EventStreamOptions,
  reconnect: boolean,
  onUp: () => void,
): Promise<Outcome> {
  const { io } = await import('socket.io-client');
  const { handlers, signal, clock } = options;
  // The run may have ended while the module loaded; its abort event is past, and a socket
  // opened now would stay open for ever.
  if (signal.aborted) return { kind: 'aborted' };
  const socketOptions: Partial<ManagerOptions & SocketOptions> = {
    path: session.socketPath,
    // Websocket first; polling when the websocket handshake fails (a proxy without upgrade).
    // Without tryAllTransports, engine.io-client would give up after the first transport.
    transports: ['websocket', 'polling'],
    tryAllTransports: true,
    reconnection: false,
    forceNew: true,
    autoConnect: false,
    timeout: CONNECT_TIMEOUT_MS,
    extraHeaders: { Authorization: `Bearer ${token}` },
    // The agent carries the TLS settings and the proxy to both transports. engine.io-client
    // types `agent` for the browser (string | boolean); in Node it goes to ws and to
    // http(s).request as it is.
    agent: agent as unknown as string,
  };
  const socket: Socket = io(`${session.eventUrl}${EVENTS_NAMESPACE}`, socketOptions);

  return new Promise<Outcome>((resolve) => {
    let connected = false;
    let settled = false;
    let lastAliveAtMs = clock.now();
    let silenceLimitMs = Number.POSITIVE_INFINITY;
    let watchdog: NodeJS.Timeout | undefined;

    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      signal.removeEventListener('abort', onAbort);
      socket.offAny();
      socket.removeAllListeners();
      socket.io.removeAllListeners();
      socket.disconnect();
      resolve(outcome);
    };
    const onAbort = () => finish({ kind: 'aborted' });
    signal.addEventListener('abort', onAbort, { once: true });

    socket.onAny((name: string, payload: unknown) => {
      handlers.onEvent(name, payload, clock.now());
    });
    socket.on('connect', () => {
      connected = true;
      lastAliveAtMs = clock.now();
      onUp();
      handlers.onConnected({ transport: socket.io.engine?.transport?.name ?? 'unknown', reconnect });
    });
    socket.on('disconnect', (reason: string) => {
      if (!connected && reason === 'io server disconnect') finish({ kind: 'refused' });
      else finish({ kind: 'closed', reason, lastAliveAtMs });
    });
    socket.on('connect_error', (error: Error & { type?: string; description?: unknown }) => {
      // A transport failure or time-out means we never reached the namespace; an error the
      // server sent on the namespace (CONNECT_ERROR) means it refused us.
      if (error.type === 'TransportError' || error.message === 'timeout') {
        finish({ kind: 'unreachable', reason: describeConnectError(error, new URL(session.eventUrl).host) });
      } else {
        finish({ kind: 'refused' });
      }
    });

    socket.connect();
    const engine = socket.io.engine;
    // Any packet from the server, pings included, proves the connection alive.
    engine.on('packet', () => {
      lastAliveAtMs = clock.now();
    });
    engine.on('handshake', (data: { pingInterval?: number; pingTimeout?: number }) => {
      const interval = data.pingInterval ?? 25_000;
      const timeout = data.pingTimeout ?? 20_000;
      silenceLimitMs = interval + timeout + WATCHDOG_SLACK_MS;
      clearInterval(watchdog);
      // engine.io-client has its own ping time-out, but a timer alone can be starved or
      // skipped (a suspended laptop); this check reads the clock instead.
      watchdog = setInterval(
        () => {
          const silentMs = clock.now() - lastAliveAtMs;
          if (silentMs > silenceLimitMs) {
            finish({
              kind: 'closed',
              reason: `no ping from the server for ${Math.round(silentMs / 1000)} s`,
              lastAliveAtMs,
            });
          }
        },
        Math.max(250, Math.min(2_000, Math.floor(silenceLimitMs / 4))),
      );
      watchdog.unref();
    });
  });
}

const CONNECT_FAILURES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'no such name in DNS',
  ETIMEDOUT: 'the connection timed out',
};

/**
 * A transport error as a person reads it: "HTTP 502", "connection refused", "timed out", or
 * what is wrong with the certificate of `host`.
 */
export function describeConnectError(
  error: Error & { description?: unknown; context?: unknown },
  host: string,
): string {
  if (error.message === 'timeout') return 'timed out';
  let d = error.description as
    number | { message?: string; code?: string; error?: { code?: string; message?: string } } | undefined;
  // Polling reports a request that got no answer at all as status 0; its XMLHttpRequest (the
  // context) keeps the error in statusText.
  const cause = (error.context as { statusText?: unknown } | undefined)?.statusText;
  if (d === 0 && cause instanceof Error) d = cause;
  if (typeof d === 'number') return `HTTP ${d}`;
  if (d && typeof d === 'object') {
    const inner = d.error ?? d;
    const code = inner.code;
    const message = inner.message ?? d.message;
    const status = /Unexpected server response: (\d+)/.exec(message ?? '');
    if (status) return `HTTP ${status[1]}`;
    const tls = code ? tlsFailure(code, message ?? code, host) : null;
    if (tls) return tls.message;
    // A tunnel's message already says what the proxy did, in words.
    if (code && code !== PROXY_FAILED) return CONNECT_FAILURES[code] ?? code;
    if (message) return message;
  }
  return error.message;
}
