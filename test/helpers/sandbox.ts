/**
 * Plain-HTTP and plain-socket.io helpers for the sandbox conformance tests. They use fetch and
 * socket.io-client directly, never kitsu-tail's own client code, so the tests check the
 * sandbox against the protocol rather than against our client.
 */
import { io, type Socket } from 'socket.io-client';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox, SandboxOptions, SandboxUser } from '../../src/sandbox/types.js';

export interface JsonAnswer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = any>(
  sandbox: Sandbox,
  path: string,
  options: {
    token?: string;
    method?: string;
    body?: unknown;
    query?: Record<string, string | string[]>;
    headers?: Record<string, string>;
  } = {},
): Promise<JsonAnswer<T>> {
  const url = new URL(`${sandbox.apiUrl}/${path}`);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, v);
  }
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the test looks at the text.
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

export async function login(
  sandbox: Sandbox,
  user: SandboxUser,
  extra: Record<string, unknown> = {},
): Promise<{ access: string; refresh: string }> {
  const answer = await call(sandbox, 'auth/login', { body: { email: user.email, password: user.password, ...extra } });
  if (answer.status !== 200)
    throw new Error(`login of ${user.email} failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return { access: answer.body.access_token, refresh: answer.body.refresh_token };
}

/** A sandbox on a free port. */
export async function withSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({ port: 0, ...options });
}

/** Runs `body` against a sandbox of its own, closed afterwards whatever happens. */
export async function usingSandbox<T>(options: SandboxOptions, body: (sandbox: Sandbox) => Promise<T>): Promise<T> {
  const sandbox = await withSandbox(options);
  try {
    return await body(sandbox);
  } finally {
    await sandbox.close();
  }
}

export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface Probe {
  socket: Socket;
  /** Every lifecycle event and received event, in order: 'connect', 'disconnect:<reason>', 'connect_error:<msg>', 'event:<name>'. */
  seen: string[];
  events: { name: string; args: unknown[] }[];
  close(): void;
}

/** A socket.io-client socket to `/events` (or another namespace) that records what it sees. */
export function probe(
  sandbox: Sandbox,
  options: {
    token?: string;
    cookie?: string;
    namespace?: string;
    auth?: Record<string, unknown>;
    query?: Record<string, string>;
    transports?: string[];
    reconnection?: boolean;
    path?: string;
  } = {},
): Probe {
  const extraHeaders: Record<string, string> = {};
  if (options.token) extraHeaders.Authorization = `Bearer ${options.token}`;
  if (options.cookie) extraHeaders.Cookie = options.cookie;
  const site = new URL(sandbox.url);
  const socket = io(`${site.origin}${options.namespace ?? '/events'}`, {
    path: options.path ?? `${site.pathname.replace(/\/$/, '')}/socket.io`,
    extraHeaders,
    auth: options.auth,
    query: options.query,
    transports: options.transports ?? ['websocket'],
    reconnection: options.reconnection ?? true,
    reconnectionDelay: 50,
    reconnectionDelayMax: 200,
    forceNew: true,
  });
  const seen: string[] = [];
  const events: { name: string; args: unknown[] }[] = [];
  socket.on('connect', () => seen.push('connect'));
  socket.on('disconnect', (reason) => seen.push(`disconnect:${reason}`));
  socket.on('connect_error', (error) => seen.push(`connect_error:${error.message}`));
  socket.onAny((name: string, ...args: unknown[]) => {
    seen.push(`event:${name}`);
    events.push({ name, args });
  });
  return { socket, seen, events, close: () => socket.close() };
}

/** A probe of `/events` with this token, once it has connected. */
export async function connectedProbe(sandbox: Sandbox, token: string): Promise<Probe> {
  const p = probe(sandbox, { token });
  await waitUntil(() => p.seen.includes('connect'), 'the socket to connect');
  return p;
}
