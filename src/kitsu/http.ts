/**
 * The one HTTP client for the Kitsu REST API (on Node's http modules, see transport.ts): keep-alive connections, time-outs, bounded retries with jittered back-off for
 * requests that are safe to send again, proxies from the environment, TLS verified by
 * default, `--verbose` request lines, and the exit-code mapping of src/README.md.
 *
 * `send` answers with the status and the parsed JSON of any answer (the login flow needs the
 * body of a 400); `errorForResponse` turns a non-2xx answer into the CliError to throw.
 */
import { plainServerWords } from '../output/plain-words.js';
import { CliError, ExitCode, NetworkError, ServerError, AuthError, PermissionError, UsageError } from '../errors.js';
import type { Reporter } from '../output/reporter.js';
import { tlsFailure } from './tls.js';
import type { HttpProxy, Query, TlsSettings } from './types.js';
import { createStreamAgent, describeProxy, PROXY_FAILED, proxyFor } from './proxy.js';
import {
  BODY_TIMEOUT,
  CONNECT_TIMEOUT,
  createTransport,
  HEADERS_TIMEOUT,
  type TransportResponse,
} from './transport.js';
import { malformedTokenMessage } from './token-shape.js';
import { backoffDelay } from '../core/backoff.js';
import { parseDuration } from '../core/time.js';
import { toolVersion } from '../version.js';

export interface Timeouts {
  /** TCP and TLS connection set-up. */
  connectMs: number;
  /** From sending the request to the end of the answer's headers. */
  headersMs: number;
  /** Longest silence while the body arrives. */
  bodyMs: number;
  /**
   * The whole of one attempt, from sending to the last byte. The two above bound only
   * silences, so a server that drips a byte every few seconds would hold a run for ever.
   */
  totalMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 10_000, headersMs: 30_000, bodyMs: 30_000, totalMs: 60_000 };

/** The variable that changes `totalMs`, for a slow link or a server that takes its time. */
export const REQUEST_TIMEOUT_VARIABLE = 'KITSU_TAIL_REQUEST_TIMEOUT';

/**
 * The most one answer may hold. A page of 1000 events is well under 10 MB; a 700 MB answer
 * was read whole into memory before. Past this the answer is refused as not Kitsu's (exit 6).
 */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * How deep JSON may nest. Kitsu's answers nest a few levels; 100,000 levels parse, but every
 * later JSON.stringify or walk of them overflows the stack ("Maximum call stack size exceeded").
 */
export const MAX_JSON_DEPTH = 256;

/** The longest Retry-After a command waits for; a server asking more is reported instead. */
export const MAX_RETRY_AFTER_MS = 30_000;

/** Redirects followed in a row (same origin only) before the chain is reported. */
const MAX_REDIRECTS = 5;

export interface ApiClientOptions {
  /** The API root without a trailing slash: `https://kitsu.studio.com/api`. */
  apiUrl: string;
  tls: TlsSettings;
  /** For HTTPS_PROXY, HTTP_PROXY and NO_PROXY (and their lower-case forms). */
  env: Record<string, string | undefined>;
  reporter: Reporter;
  /** The command's signal: aborting it ends any request and any wait between retries. */
  signal?: AbortSignal;
  timeouts?: Partial<Timeouts>;
  /** Retries after the first attempt. Default 3. */
  retries?: number;
  /** First back-off step in ms. Default 250. */
  retryBaseMs?: number;
  /** Default true. False opens a connection per request (for measuring what keep-alive saves). */
  keepAlive?: boolean;
  /** Default MAX_BODY_BYTES. */
  maxBodyBytes?: number;
}

export interface ApiRequest {
  method: 'GET' | 'POST';
  /** Relative to the API root: `data/events/last`; '' for the root itself (`/api/`). */
  path: string;
  query?: Query;
  body?: unknown;
  /** Sent as `Authorization: Bearer …`. */
  token?: string;
  signal?: AbortSignal;
  /** Whether a network failure may be retried; default: GET only. */
  idempotent?: boolean;
}

export interface ApiResponse {
  status: number;
  /** Parsed JSON, or undefined when the answer was not JSON (see `json`). */
  body: unknown;
  json: boolean;
  contentType: string;
  /** The start of a body that is not JSON, to say what answered instead. */
  snippet: string;
  /** The Location header of a redirect that was not followed (it leaves the origin). */
  location?: string;
  /** The Retry-After header, in ms, when the answer gave one that reads. */
  retryAfterMs?: number;
  /** The server's clock when it answered (its Date header), ms since the epoch. */
  serverTime?: number;
}

export interface ApiClient {
  readonly apiUrl: string;
  send(request: ApiRequest): Promise<ApiResponse>;
  close(): Promise<void>;
}

const RETRYABLE_STATUS = new Set([502, 503, 504]);
// 429 says the request was not handled, so any method may go again.
const TOO_MANY_REQUESTS = 429;
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
// These redirects turn a POST into a GET; only 307 and 308 keep the method and body.
const METHOD_KEEPING_REDIRECT = new Set([307, 308]);
// The request never reached the server: safe to send again whatever the method.
const NOT_SENT = new Set(['ECONNREFUSED', 'EAI_AGAIN', CONNECT_TIMEOUT, 'EHOSTUNREACH', 'ENETUNREACH']);
// The request may have reached the server: only idempotent requests go again.
const MAYBE_SENT = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', HEADERS_TIMEOUT, BODY_TIMEOUT, 'KITSU_TAIL_DEADLINE']);

const USER_AGENT = `kitsu-tail/${toolVersion()}`;

// A command should fail within seconds when the server is down, not back off for minutes.
const RETRY_CAP_MS = 4_000;

function retryDelay(attempt: number, baseMs: number): number {
  return backoffDelay(attempt, { baseMs, capMs: RETRY_CAP_MS });
}

export function buildQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value as readonly string[]) params.append(key, item);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The server's own words in an error answer: Zou says `message`, flask-jwt-extended `msg`. */
export function serverMessage(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const { message, msg } = body as { message?: unknown; msg?: unknown };
  if (typeof message === 'string' && message) return message;
  if (typeof msg === 'string' && msg) return msg;
  return undefined;
}

/** What answered instead of JSON: "an HTML page titled “Welcome to nginx!”". */
export function describeNonJson(response: ApiResponse): string {
  if (/html/i.test(response.contentType) || /^\s*<(!doctype|html)/i.test(response.snippet)) {
    const title = /<title[^>]*>([^<]{1,80})/i.exec(response.snippet)?.[1]?.trim();
    return title ? `an HTML page titled "${title}"` : 'an HTML page';
  }
  if (response.snippet.trim() === '') return 'an empty body';
  if (/json/i.test(response.contentType)) return 'JSON that does not parse';
  return `${response.contentType || 'text'} that is not JSON`;
}

/**
 * The CliError for an answer that is not a 2xx JSON answer, per src/README.md: 401/422 → exit 3,
 * 403 → exit 4, 5xx or not JSON → exit 6, anything else → exit 1 with the server's words.
 */
export function errorForResponse(
  response: ApiResponse,
  request: Pick<ApiRequest, 'method' | 'path'>,
  apiUrl: string,
): CliError {
  const url = new URL(apiUrl);
  const host = url.host;
  const where = `${request.method} ${url.pathname.replace(/\/+$/, '')}/${request.path}`;
  const said = plainServerWords(serverMessage(response.body));
  const { status } = response;
  if (status >= 300 && status < 400 && response.location) {
    const to = new URL(response.location, `${apiUrl}/${request.path}`);
    if (to.origin === url.origin) {
      // Followable, but not followed: a chain too long, or a POST that a 301/302/303 turns into a GET.
      return new ServerError(
        `${host} redirects ${where} to ${to.href}, which kitsu-tail does not follow here`,
        'tell the Kitsu admin',
      );
    }
    return new ServerError(
      `${host} redirects ${where} to ${to.href}, another site, where kitsu-tail does not send the session`,
      `if Kitsu has moved, log in there: kitsu-tail login --host ${to.origin}`,
    );
  }
  if (status === TOO_MANY_REQUESTS) {
    const wait =
      response.retryAfterMs !== undefined ? ` and asks to wait ${Math.ceil(response.retryAfterMs / 1000)} s` : '';
    return new ServerError(
      `${host} is limiting requests (429 on ${where})${wait}`,
      'try again later; if it goes on, tell the Kitsu admin',
    );
  }
  if (status >= 500) {
    return new ServerError(
      `${host} failed with ${status} on ${where}${said ? `: ${said}` : ''}`,
      'try again later; if it goes on, tell the Kitsu admin',
    );
  }
  if (!response.json) {
    return new ServerError(
      `${host} answered ${where} with ${describeNonJson(response)} (status ${status}), not the Kitsu API`,
      'check the host: it may point at a proxy or login page rather than Kitsu',
    );
  }
  if (status === 401 || status === 422) {
    return new AuthError(`${host} refused the session${said ? `: ${said}` : ''}`);
  }
  if (status === 403) {
    const body = response.body as { two_factor_authentication_required?: boolean };
    if (body?.two_factor_authentication_required) {
      return new PermissionError(
        'this account must set up two-factor authentication before it can use the API',
        'set it up in the Kitsu web app, or use a bot token',
      );
    }
    return new PermissionError(
      `${host} does not allow ${where}${said ? `: ${said}` : ''}`,
      'ask a Kitsu admin for access, or use a profile with a higher role',
    );
  }
  return new RefusedError(`${host} refused ${where} with ${status}${said ? `: ${said}` : ''}`, status);
}

/** A 4xx answer with no class of its own (404, 409, …): exit 1 with the server's words. */
export class RefusedError extends CliError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message, ExitCode.failure);
  }
}

interface NetworkFailure {
  code: string;
  message: string;
  /** The name or address the failed connection was for, when the error says. */
  peer?: string;
}

/** The system or transport code of a failure, looking through `cause` chains. */
function networkFailureOf(error: unknown): NetworkFailure {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const { code, address, hostname } = current as NodeJS.ErrnoException & { address?: string; hostname?: string };
    if (code && !/^ERR_INVALID/.test(code)) return { code, message: current.message, peer: address ?? hostname };
    current = (current as Error & { cause?: unknown }).cause;
  }
  return { code: 'UNKNOWN', message: error instanceof Error ? error.message : String(error) };
}

/** Failures of the proxy itself, which must not read as if Kitsu were down. */
function proxyError(failure: NetworkFailure, proxy: HttpProxy, host: string): CliError | null {
  if (failure.code !== PROXY_FAILED) return null;
  const refusedWith = / with (\d{3})$/.exec(failure.message)?.[1];
  const hint =
    refusedWith === '407'
      ? `put the proxy's user and password in ${proxy.variable}`
      : refusedWith
        ? `ask whoever runs the proxy, or add ${host} to NO_PROXY`
        : `check ${proxy.variable}, or add ${host} to NO_PROXY if Kitsu is reachable without it`;
  // The tunnel names host:port; the REST client names the host as the user gave it.
  const message = refusedWith
    ? `${describeProxy(proxy)} refused to connect to ${host} with ${refusedWith}`
    : failure.message;
  return new NetworkError(message, hint);
}

function networkError(failure: NetworkFailure, apiUrl: URL, attempts: number, proxy: HttpProxy | undefined): CliError {
  const { host } = apiUrl;
  const tls = tlsFailure(failure.code, failure.message, host);
  if (tls) return tls;
  const viaProxy = proxy && proxyError(failure, proxy, host);
  if (viaProxy) return viaProxy;
  const tries = attempts > 1 ? ` after ${attempts} tries` : '';
  switch (failure.code) {
    case 'ENOTFOUND':
      return new NetworkError(`cannot find the host ${host} (no such name in DNS)`, 'check the spelling of the host');
    case 'ECONNREFUSED':
      return new NetworkError(
        `cannot reach ${host}: connection refused${tries}`,
        'check the host and port, and that Kitsu is running',
      );
    case CONNECT_TIMEOUT:
    case 'ETIMEDOUT':
      return new NetworkError(
        `cannot reach ${host}: the connection timed out${tries}`,
        'check the host, your network and any firewall or proxy',
      );
    case HEADERS_TIMEOUT:
    case BODY_TIMEOUT:
      return new NetworkError(
        `${host} did not answer in time${tries}`,
        'the server or the network is slow or down; try again later',
      );
    case 'KITSU_TAIL_DEADLINE':
      return new NetworkError(
        `${host} did not finish answering in time: ${failure.message}${tries}`,
        `the server or the network is slow, or the answer trickles in; try again later, or allow longer with ${REQUEST_TIMEOUT_VARIABLE}=5m`,
      );
    case 'ECONNRESET':
    case 'EPIPE':
      return new NetworkError(
        `${host} closed the connection${tries}`,
        // An https server drops a plain http request without an answer.
        apiUrl.protocol === 'http:'
          ? 'if the server speaks https, give the host as https://…; else it or a proxy in between dropped it'
          : 'the server or a proxy in between dropped it; try again later',
      );
    default:
      return new NetworkError(`cannot reach ${host} (${failure.message})${tries}`, 'check the host and your network');
  }
}

function bodySnippet(text: string): string {
  return text.slice(0, 2_000);
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

/** An attempt that ran past its overall deadline (Timeouts.totalMs). */
class DeadlineError extends Error {
  readonly code = 'KITSU_TAIL_DEADLINE';
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / (1024 * 1024))} MB` : `${bytes} bytes`;
}

/** `declared`: the size the answer announced; else it was counted while reading, up to the cap. */
function tooLarge(host: string, route: string, cap: number, declared?: number): ServerError {
  const size = declared !== undefined ? formatBytes(declared) : `more than ${formatBytes(cap)}`;
  return new ServerError(
    `${host} answered ${route} with ${size}, more than the ${formatBytes(cap)} kitsu-tail reads from one answer`,
    'no Kitsu answer is that large: the server or a proxy in front of it is broken; tell the Kitsu admin',
  );
}

/** `KITSU_TAIL_REQUEST_TIMEOUT=5m`: the overall bound of one request. */
function requestTimeoutFrom(env: Record<string, string | undefined>): Partial<Timeouts> {
  const text = env[REQUEST_TIMEOUT_VARIABLE]?.trim();
  if (!text) return {};
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) {
    throw new UsageError(`${REQUEST_TIMEOUT_VARIABLE}: cannot read '${text}' as a duration`, 'such as 90s or 5m');
  }
  return { totalMs: ms };
}

/** Retry-After in ms: seconds, or an HTTP date (RFC 9110 §10.2.3). */
function retryAfter(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Where a redirect leads, when it may be followed: same origin, and a method it keeps. */
function followable(response: ApiResponse, method: string, from: URL): URL | null {
  if (!REDIRECT_STATUS.has(response.status) || !response.location) return null;
  let to: URL;
  try {
    to = new URL(response.location, from);
  } catch {
    return null;
  }
  if (to.origin !== from.origin) return null;
  if (method !== 'GET' && !METHOD_KEEPING_REDIRECT.has(response.status)) return null;
  return to;
}

/** Whether JSON nests deeper than `limit`, walked without recursion (the point is the stack). */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

export async function createApiClient(options: ApiClientOptions): Promise<ApiClient> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...requestTimeoutFrom(options.env), ...options.timeouts };
  const retries = options.retries ?? 3;
  const baseMs = options.retryBaseMs ?? 250;
  const apiUrl = new URL(options.apiUrl.replace(/\/+$/, ''));
  const host = apiUrl.host;
  const { reporter } = options;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;

  // Decided by proxy.ts, as for the event stream: loopback is never proxied, NO_PROXY=* works.
  const proxy = proxyFor(apiUrl, options.env);
  const transport = createTransport(
    createStreamAgent(apiUrl, options.tls, proxy, options.keepAlive !== false),
    timeouts,
  );
  if (proxy) reporter.verbose(`http: using the proxy from the environment for ${host}`);

  const basePath = apiUrl.pathname.replace(/\/+$/, '');

  /** `GET /api/data/events/last`: how messages name a route (without its query). */
  const routeOf = (method: string, target: URL): string => `${method} ${target.pathname}`;

  async function readText(response: TransportResponse, route: string): Promise<string> {
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBodyBytes) {
      response.body.destroy();
      throw tooLarge(host, route, maxBodyBytes, declared);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBodyBytes) {
        response.body.destroy();
        throw tooLarge(host, route, maxBodyBytes);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, size).toString('utf8');
  }

  /** One exchange, bounded as a whole by `totalMs` besides the transport's bounds on silences. */
  async function attempt(request: ApiRequest, target: URL, signal: AbortSignal | undefined): Promise<ApiResponse> {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': USER_AGENT };
    if (request.token) headers.authorization = `Bearer ${request.token}`;
    let body: string | undefined;
    if (request.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.body);
    }
    const route = routeOf(request.method, target);
    const bounded = new AbortController();
    const timer = setTimeout(
      () => bounded.abort(new DeadlineError(`${route} took more than ${formatSeconds(timeouts.totalMs)}`)),
      timeouts.totalMs,
    );
    const onAbort = () => bounded.abort(abortReason(signal!));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    const started = performance.now();
    try {
      const path = `${target.pathname}${target.search}`;
      const response = await transport.request({
        origin: target.origin,
        path,
        method: request.method,
        headers,
        body,
        signal: bounded.signal,
      });
      const text = await readText(response, route);
      const ms = Math.round(performance.now() - started);
      reporter.verbose(`http: ${request.method} ${path} ${response.statusCode} ${ms}ms`);
      const contentType = String(response.headers['content-type'] ?? '');
      const { location, date } = response.headers;
      const retryAfterMs = retryAfter(response.headers['retry-after']);
      const serverTime = typeof date === 'string' ? Date.parse(date) : Number.NaN;
      const head = {
        status: response.statusCode,
        contentType,
        ...(typeof location === 'string' ? { location } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        ...(Number.isFinite(serverTime) ? { serverTime } : {}),
      };
      if (text.trim() === '' && response.statusCode >= 200 && response.statusCode < 300) {
        return { ...head, body: undefined, json: true, snippet: '' };
      }
      let parsed: unknown;
      try {
        if (/html/i.test(contentType) && !/json/i.test(contentType)) throw new Error('not JSON');
        parsed = JSON.parse(text) as unknown;
      } catch {
        return { ...head, body: undefined, json: false, snippet: bodySnippet(text) };
      }
      if (nestedDeeperThan(parsed, MAX_JSON_DEPTH)) {
        throw new ServerError(
          `${host} answered ${route} with JSON nested more than ${MAX_JSON_DEPTH} levels deep, which no Kitsu answer is`,
          'kitsu-tail refuses it rather than crash on it; tell the Kitsu admin',
        );
      }
      return { ...head, body: parsed, json: true, snippet: '' };
    } catch (error) {
      // The transport ends the request with an AbortError whose cause is the abort's reason.
      if (bounded.signal.reason instanceof DeadlineError && !signal?.aborted) throw bounded.signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) throw abortReason(signal);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async function send(request: ApiRequest): Promise<ApiResponse> {
    // Node refuses such a header before sending: that is a bad token, not a network failure.
    const malformed = request.token !== undefined && malformedTokenMessage(request.token, 'use');
    if (malformed) throw new AuthError(malformed);
    const signals = [options.signal, request.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const idempotent = request.idempotent ?? request.method === 'GET';
    let target = new URL(`${basePath}/${request.path}${buildQuery(request.query)}`, apiUrl.origin);
    let redirects = 0;
    for (let tries = 1; ; tries += 1) {
      let response: ApiResponse;
      try {
        response = await attempt(request, target, signal);
      } catch (error) {
        if (signal?.aborted) throw abortReason(signal);
        // Too large or too deep: the server's answer, which no retry changes.
        if (error instanceof CliError) throw error;
        const failure = networkFailureOf(error);
        const retryable = NOT_SENT.has(failure.code) || (idempotent && MAYBE_SENT.has(failure.code));
        if (!retryable || tries > retries) throw networkError(failure, apiUrl, tries, proxy);
        const delay = retryDelay(tries - 1, baseMs);
        reporter.verbose(
          `http: ${request.method} /${request.path}: ${failure.code}, trying again in ${Math.round(delay)}ms`,
        );
        await wait(delay, signal);
        continue;
      }
      const next = followable(response, request.method, target);
      if (next && redirects < MAX_REDIRECTS) {
        // Same origin only: the session's token must not go to another site.
        redirects += 1;
        tries -= 1;
        reporter.verbose(`http: ${request.method} ${target.pathname} moved to ${next.pathname}, following`);
        target = next;
        continue;
      }
      const retryable = response.status === TOO_MANY_REQUESTS || (RETRYABLE_STATUS.has(response.status) && idempotent);
      const asked = response.retryAfterMs;
      if (retryable && tries <= retries && (asked === undefined || asked <= MAX_RETRY_AFTER_MS)) {
        const delay = asked ?? retryDelay(tries - 1, baseMs);
        reporter.verbose(
          `http: ${request.method} /${request.path}: ${response.status}, trying again in ${Math.round(delay)}ms`,
        );
        await wait(delay, signal);
        continue;
      }
      return response;
    }
  }

  return {
    apiUrl: options.apiUrl.replace(/\/+$/, ''),
    send,
    close: () => transport.close(),
  };
}
