/**
 * The front door of the sandbox, where nginx would stand: sends `<base>/socket.io` to the
 * event stream and `<base>/api/…` to the API, applies the failures a test asked for, keeps the
 * request log, and parses bodies the way Flask does.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Api } from './api.js';
import type { EventStream } from './stream.js';
import type { FailureRule, RequestLogEntry } from './types.js';

const MAX_BODY = 1 << 20;

export class Front {
  private readonly failures: { rule: FailureRule; remaining: number }[] = [];
  readonly requestLog: RequestLogEntry[] = [];

  constructor(
    private readonly api: Api,
    private readonly stream: EventStream,
    private readonly basePath: string,
  ) {}

  onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    if (this.stream.owns(path)) {
      this.stream.handleRequest(req, res);
      return;
    }
    const apiRoot = `${this.basePath}/api`;
    if (path === apiRoot || path.startsWith(`${apiRoot}/`)) {
      this.handleApi(req, res, path.slice(apiRoot.length + 1), url.searchParams).catch((error: unknown) => {
        if (!res.headersSent)
          send(res, 500, 'application/json', JSON.stringify({ error: true, message: String(error) }));
        else res.destroy();
      });
      return;
    }
    if (path === this.basePath || path === `${this.basePath}/`) {
      send(res, 200, 'text/html; charset=utf-8', LANDING_PAGE);
      return;
    }
    send(res, 404, 'text/html; charset=utf-8', '<html><body><h1>404 Not Found</h1></body></html>');
  }

  failRoutes(rule: FailureRule): () => void {
    const entry = { rule, remaining: rule.times ?? Infinity };
    this.failures.push(entry);
    return () => {
      const i = this.failures.indexOf(entry);
      if (i >= 0) this.failures.splice(i, 1);
    };
  }

  clearFailures(): void {
    this.failures.length = 0;
  }

  private async handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    apiPath: string,
    query: URLSearchParams,
  ): Promise<void> {
    const entry: RequestLogEntry = { method: req.method ?? 'GET', path: apiPath, query, status: 0 };
    this.requestLog.push(entry);
    const failure = this.failures.find((f) => f.rule.path.test(apiPath));
    if (failure) {
      failure.remaining -= 1;
      if (failure.remaining <= 0) this.failures.splice(this.failures.indexOf(failure), 1);
      const mode = failure.rule.mode;
      if (mode.kind === 'slow') {
        // Waits the delay, or less when the client gives up first: nothing is left pending.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, mode.delayMs);
          res.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        if (res.destroyed || res.writableEnded) return;
      } else {
        await drain(req);
        switch (mode.kind) {
          case 'status':
            entry.status = mode.status;
            return send(
              res,
              mode.status,
              'application/json',
              JSON.stringify({ error: true, message: STATUS_CODES[mode.status] ?? 'Error' }),
            );
          case 'html':
            entry.status = mode.status ?? 200;
            return send(res, entry.status, 'text/html; charset=utf-8', PROXY_PAGE);
          case 'bad-json':
            entry.status = 200;
            return send(res, 200, 'application/json', '{"error": false, "data": [{"id": "');
          case 'reset': {
            const socket = req.socket as Socket & { resetAndDestroy?: () => void };
            if (socket.resetAndDestroy) socket.resetAndDestroy();
            else socket.destroy();
            return;
          }
        }
      }
    }
    let body: Record<string, unknown>;
    try {
      body = parseBody(await readBody(req), req.headers['content-type'], query);
    } catch {
      entry.status = 400;
      return send(res, 400, 'application/json', JSON.stringify({ message: 'Failed to decode JSON object' }));
    }
    const reply = this.api.handle({
      method: req.method ?? 'GET',
      path: apiPath,
      query,
      headers: req.headers,
      ip: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      body,
    });
    entry.status = reply.status;
    // A 204 (a deletion) has no body at all, as Flask answers `"", 204`.
    const text = reply.status === 204 ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...reply.headers,
    });
    res.end(req.method === 'HEAD' ? undefined : text);
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function drain(req: IncomingMessage): Promise<void> {
  try {
    await readBody(req);
  } catch {
    // Nothing to keep from a body that the failure ignores.
  }
}

/** A JSON body, else form fields, else the query string, as Zou's login validator reads them. */
function parseBody(text: string, contentType: string | undefined, query: URLSearchParams): Record<string, unknown> {
  if (text.trim() !== '' && /json/i.test(contentType ?? '')) {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  }
  const form = /x-www-form-urlencoded/i.test(contentType ?? '') ? new URLSearchParams(text) : query;
  return Object.fromEntries(form.entries());
}

const PROXY_PAGE = `<!DOCTYPE html>
<html><head><title>Sign in - Studio Access Portal</title></head>
<body><h1>Studio Access Portal</h1><p>Please sign in to continue.</p>
<form method="post" action="/sso/login"><input name="username"><input name="password" type="password"></form>
</body></html>
`;

const LANDING_PAGE = `<!DOCTYPE html>
<html><head><title>Kitsu sandbox</title></head>
<body><h1>Kitsu sandbox</h1><p>A local stand-in for a Kitsu server, made by kitsu-tail.
The API is under <code>api/</code>; the event stream is socket.io at <code>socket.io</code>, namespace <code>/events</code>.</p></body></html>
`;
