/**
 * The REST client's connections, on Node's own http and https modules.
 *
 * Why not undici: it parses HTTP with a WebAssembly build of llhttp that every process
 * compiles on its first request, which cost a one-shot command about 60 MiB of memory and a
 * few hundred milliseconds (see test/bench/oneshot.bench.ts). Node's http module uses the
 * same parser compiled into the binary. What the client needs from a transport is small:
 * keep-alive, the trust of tls.ts, the proxy tunnels of proxy.ts (the same Agent as the event
 * stream), three time-outs and an abort signal, all of which Node's modules give.
 *
 * Failures keep the system error codes (ECONNREFUSED, ECONNRESET, …); the time-outs raise
 * the codes below, which http.ts maps to words.
 */
import { request as httpRequest, type Agent, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';

export const CONNECT_TIMEOUT = 'CONNECT_TIMEOUT';
export const HEADERS_TIMEOUT = 'HEADERS_TIMEOUT';
export const BODY_TIMEOUT = 'BODY_TIMEOUT';

export interface TransportTimeouts {
  /** TCP and TLS connection set-up. */
  connectMs: number;
  /** From sending the request to the end of the answer's headers. */
  headersMs: number;
  /** Longest silence while the body arrives. */
  bodyMs: number;
}

export interface TransportRequest {
  origin: string;
  /** Path and query, from the root of the origin. */
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** The answer; its body is the response stream with `text()` added, and must be read or dumped. */
export interface TransportResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: ResponseBody;
}

export type ResponseBody = IncomingMessage & {
  /** The whole body as UTF-8 text. */
  text(): Promise<string>;
  /** Reads and drops the rest, so that the connection can be used again. */
  dump(): Promise<void>;
};

export interface Transport {
  request(request: TransportRequest): Promise<TransportResponse>;
  close(): Promise<void>;
}

function timeoutError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * A body whose silence longer than `silenceMs` destroys it with BODY_TIMEOUT: the socket's
 * idle time-out, which any read resets and which the agent clears when it keeps the socket.
 * (A 'data' listener would do it too, but would start the flow before the reader is there.)
 */
function watchBody(response: IncomingMessage, silenceMs: number): ResponseBody {
  const { socket } = response;
  const onSilence = () => response.destroy(timeoutError(BODY_TIMEOUT, 'the body went silent'));
  socket.setTimeout(silenceMs);
  socket.on('timeout', onSilence);
  const done = () => {
    socket.off('timeout', onSilence);
    socket.setTimeout(0);
  };
  response.once('end', done);
  response.once('close', done);
  const body = response as ResponseBody;
  body.text = async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  body.dump = async () => {
    for await (const _ of response);
  };
  return body;
}

/** Fails a request whose connection is not set up within `ms`; reused connections pass at once. */
function watchConnect(socket: Socket, ms: number, fail: (error: Error) => void): void {
  if (!socket.connecting) return;
  const timer = setTimeout(() => fail(timeoutError(CONNECT_TIMEOUT, 'connection set-up timed out')), ms);
  const done = () => clearTimeout(timer);
  // A TLS socket is usable after its handshake; the plain `connect` comes before it.
  socket.once('secureConnect', done);
  socket.once('connect', () => {
    if (!('encrypted' in socket)) done();
  });
  socket.once('close', done);
}

/**
 * A transport whose connections all go through `agent` (keep-alive, TLS trust and proxy
 * tunnels are the agent's).
 */
export function createTransport(agent: Agent, timeouts: TransportTimeouts): Transport {
  function request(options: TransportRequest): Promise<TransportResponse> {
    const url = new URL(options.path, options.origin);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { ...options.headers };
      if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
      const req = send(url, { method: options.method, headers, agent, signal: options.signal });
      let headersTimer: NodeJS.Timeout | undefined;
      const fail = (error: Error) => {
        clearTimeout(headersTimer);
        req.destroy(error);
      };
      req.once('error', (error) => {
        clearTimeout(headersTimer);
        reject(error);
      });
      req.once('socket', (socket: Socket) => watchConnect(socket, timeouts.connectMs, fail));
      req.once('finish', () => {
        headersTimer = setTimeout(() => fail(timeoutError(HEADERS_TIMEOUT, 'no answer in time')), timeouts.headersMs);
      });
      req.once('response', (response) => {
        clearTimeout(headersTimer);
        resolve({
          statusCode: response.statusCode ?? 0,
          headers: response.headers,
          body: watchBody(response, timeouts.bodyMs),
        });
      });
      req.end(options.body);
    });
  }

  return {
    request,
    close: async () => agent.destroy(),
  };
}
