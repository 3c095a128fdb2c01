/**
 * A Kitsu stand-in on 127.0.0.1: Zou's REST API under `<base>/api/` and its event stream at
 * `<base>/socket.io` (namespace `/events`), built to kitsu-protocol.md. Used by
 * `kitsu-tail sandbox`, `demo`, and every test and benchmark, which drive it through `control`.
 */
import { createServer as createHttpServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Api } from './api.js';
import { Auth } from './auth.js';
import { EventStore } from './event-store.js';
import { ActivityGenerator, type GeneratedEvent } from './generator.js';
import { LoginLogStore } from './login-log.js';
import { Random } from './random.js';
import { EventStream } from './stream.js';
import { Timeline } from './timeline.js';
import type {
  EmitOptions,
  FailureRule,
  RequestLogEntry,
  Role,
  Sandbox,
  SandboxControl,
  SandboxOptions,
  SandboxUser,
  StoredEvent,
} from './types.js';
import { emulationOf, NEWEST_VERSION } from './versions.js';
import { World, type Person } from './world.js';

export type * from './types.js';
export { totpCode } from './totp.js';

const DAY = 86_400;
/** The events Zou emits with `persist=False` (§2.9): live only, never in the log. */
const NOT_PERSISTED = new Set([
  'main:test',
  'task:update-casting-stats',
  'comment:acknowledge',
  'comment:unacknowledge',
  'comment:delete-reply',
  'notification:new',
  'chat:joined',
  'chat:left',
  'chat:new-message',
  'chat:deleted-message',
]);
const MAX_BODY = 1 << 20;

export function isPersisted(name: string): boolean {
  return !NOT_PERSISTED.has(name) && !name.startsWith('preview-room:');
}

function normalizeBasePath(path: string | undefined): string {
  const trimmed = (path ?? '').replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

function toSandboxUser(p: Person): SandboxUser {
  const user: SandboxUser = { id: p.id, email: p.email, password: p.password, full_name: `${p.first_name} ${p.last_name}`, role: p.role, active: p.active };
  if (p.totpSecret) user.totpSecret = p.totpSecret;
  return user;
}

/**
 * Writes a generated history over the past: one exponential gap per action, scaled so the
 * whole span is used, and the events of an action a few tens of milliseconds apart. Rows are
 * appended with placeholder times and stamped at the end, once the total of the gaps is known.
 */
function writeHistory(store: EventStore, generator: ActivityGenerator, count: number, spanSeconds: number, seed: number, nowMs: number): void {
  if (count <= 0) return;
  const random = new Random(seed ^ 0x5eed);
  const gapSum = new Float64Array(count);
  const offset = new Float64Array(count);
  let total = 0;
  let i = 0;
  while (i < count) {
    total += -Math.log(1 - random.next());
    let within = 0;
    for (const e of generator.action(false)) {
      if (i === count) break;
      gapSum[i] = total;
      offset[i] = within;
      within += random.int(200, 60_000);
      store.append(e.name, i, e.userId, typeof e.data.project_id === 'string' ? e.data.project_id : null, e.data);
      i += 1;
    }
  }
  const endUs = (nowMs - 1000) * 1000;
  const startUs = endUs - spanSeconds * 1_000_000;
  const scale = (endUs - startUs) / total;
  const times = new Float64Array(count);
  let last = -Infinity;
  for (let k = 0; k < count; k += 1) {
    const t = Math.max(Math.floor(startUs + (gapSum[k] as number) * scale + (offset[k] as number)), last + 1);
    times[k] = t;
    last = t;
  }
  store.stampTimes(times);
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const seed = options.seed ?? 1;
  const emulation = emulationOf(options.emulate ?? NEWEST_VERSION);
  const basePath = normalizeBasePath(options.basePath);
  const nowMs = Date.now();

  const world = new World(seed, nowMs);
  const store = new EventStore(new Random(seed ^ 0x1d5).uint32());
  const generator = new ActivityGenerator(world);
  writeHistory(store, generator, options.events ?? 0, options.historySpan ?? 7 * DAY, seed, nowMs);
  const timeline = new Timeline();
  timeline.advanceTo(store.lastTimeUs);
  const auth = new Auth(world, {
    accessTtl: options.accessTokenTtl ?? 7 * DAY,
    refreshTtl: options.refreshTokenTtl ?? 15 * DAY,
    lockoutSeconds: options.lockoutSeconds ?? 60,
  });
  const logins = new LoginLogStore();

  let stream: EventStream | undefined;
  const emit = (name: string, data: Record<string, unknown> = {}, emitOptions: EmitOptions = {}): StoredEvent | null => {
    const eventName = name.toLowerCase();
    const payload = { ...data };
    stream?.broadcast(eventName, payload);
    if (!(emitOptions.persist ?? isPersisted(eventName))) return null;
    const projectId = typeof payload.project_id === 'string' ? payload.project_id : null;
    const index = store.append(eventName, timeline.next(), emitOptions.userId ?? null, projectId, payload);
    return store.row(index);
  };

  const api = new Api({
    world,
    store,
    logins,
    loginTimeline: new Timeline(),
    auth,
    emulation,
    emit: (name, data, userId) => emit(name, data, { userId }),
    streamUp: () => !(stream?.isStopped ?? false),
  });

  const failures: { rule: FailureRule; remaining: number }[] = [];
  const requestLog: RequestLogEntry[] = [];

  const handleApi = async (req: IncomingMessage, res: ServerResponse, apiPath: string, query: URLSearchParams): Promise<void> => {
    const entry: RequestLogEntry = { method: req.method ?? 'GET', path: apiPath, query, status: 0 };
    requestLog.push(entry);
    const failure = failures.find((f) => f.rule.path.test(apiPath));
    if (failure) {
      failure.remaining -= 1;
      if (failure.remaining <= 0) failures.splice(failures.indexOf(failure), 1);
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
            return send(res, mode.status, 'application/json', JSON.stringify({ error: true, message: STATUS_CODES[mode.status] ?? 'Error' }));
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
    let body: Record<string, unknown> = {};
    try {
      body = parseBody(await readBody(req), req.headers['content-type'], query);
    } catch {
      entry.status = 400;
      return send(res, 400, 'application/json', JSON.stringify({ message: 'Failed to decode JSON object' }));
    }
    const reply = api.handle({
      method: req.method ?? 'GET',
      path: apiPath,
      query,
      headers: req.headers,
      ip: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      body,
    });
    entry.status = reply.status;
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...reply.headers,
    });
    res.end(req.method === 'HEAD' ? undefined : text);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    if (stream?.owns(path)) {
      stream.handleRequest(req, res);
      return;
    }
    const apiRoot = `${basePath}/api`;
    if (path === apiRoot || path.startsWith(`${apiRoot}/`)) {
      handleApi(req, res, path.slice(apiRoot.length + 1), url.searchParams).catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: true, message: String(error) }));
        else res.destroy();
      });
      return;
    }
    if (path === basePath || path === `${basePath}/`) {
      send(res, 200, 'text/html; charset=utf-8', LANDING_PAGE);
      return;
    }
    send(res, 404, 'text/html; charset=utf-8', '<html><body><h1>404 Not Found</h1></body></html>');
  };

  const server: Server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }) : createHttpServer();
  stream = new EventStream(server, {
    path: `${basePath}/socket.io`,
    pingInterval: options.pingInterval ?? 25_000,
    pingTimeout: options.pingTimeout ?? 20_000,
    accept: (headers) => auth.authenticate(headers, 'access').ok,
  });
  const liveStream = stream;
  server.on('request', onRequest);
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => liveStream.handleUpgrade(req, socket, head));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}${basePath}`;

  // Live generated activity: a steady rate, the events of one action kept together.
  let rate = 0;
  let owed = 0;
  let pending: GeneratedEvent[] = [];
  let timer: NodeJS.Timeout | undefined;
  let lastTick = 0;
  const setRate = (perSecond: number): void => {
    if (!Number.isFinite(perSecond) || perSecond < 0) throw new Error(`rate must be 0 or more events a second, not ${perSecond}`);
    rate = perSecond;
    if (timer) clearInterval(timer);
    timer = undefined;
    owed = 0;
    if (rate === 0) return;
    lastTick = Date.now();
    timer = setInterval(
      () => {
        const now = Date.now();
        owed += (rate * (now - lastTick)) / 1000;
        lastTick = now;
        while (owed >= 1) {
          if (pending.length === 0) pending = generator.action(true);
          const e = pending.shift() as GeneratedEvent;
          emit(e.name, e.data, { userId: e.userId });
          owed -= 1;
        }
      },
      Math.min(1000, Math.max(10, 1000 / rate)),
    );
    timer.unref();
  };
  setRate(options.rate ?? 0);

  const control: SandboxControl = {
    emit,
    generate(count) {
      const out: StoredEvent[] = [];
      while (out.length < count) {
        for (const e of generator.action(false)) {
          if (out.length >= count) break;
          const row = emit(e.name, e.data, { userId: e.userId });
          if (row) out.push(row);
        }
      }
      return out;
    },
    setRate,
    log: () => store.all(),
    restartStream: () => liveStream.restart(),
    stopStream: () => liveStream.stop(),
    resumeStream: () => liveStream.resume(),
    silenceStream: () => liveStream.silence(),
    unsilenceStream: () => liveStream.unsilence(),
    failRoutes(rule) {
      const entry = { rule, remaining: rule.times ?? Infinity };
      failures.push(entry);
      return () => {
        const i = failures.indexOf(entry);
        if (i >= 0) failures.splice(i, 1);
      };
    },
    clearFailures: () => {
      failures.length = 0;
    },
    revokeAllTokens: () => auth.revokeAll(),
    expireAccessTokens: () => auth.expireAccess(),
    expireRefreshTokens: () => auth.expireRefresh(),
    setTokenLifetimes(lifetimes) {
      if (lifetimes.access !== undefined) auth.accessTtl = lifetimes.access;
      if (lifetimes.refresh !== undefined) auth.refreshTtl = lifetimes.refresh;
    },
    createBot(role: Role, botOptions = {}) {
      const person = api.addPerson({ first_name: 'Bot', last_name: role, email: '', role, is_bot: true });
      const teams = botOptions.projects ?? [...world.projects.keys()];
      for (const id of teams) world.projects.get(id)?.team.push(person.id);
      return { id: person.id, token: auth.issueBot(person) };
    },
    issueTokens(userId) {
      const person = world.persons.get(userId);
      if (!person || person.is_bot) throw new Error(`no person with id ${userId}`);
      const { access, refresh } = auth.issuePair(person);
      return { access_token: access, refresh_token: refresh };
    },
    setUserActive(userId, active) {
      const person = world.persons.get(userId);
      if (!person) throw new Error(`no person with id ${userId}`);
      person.active = active;
    },
    requests: () => requestLog,
    connectedSockets: () => liveStream.connectedSockets(),
  };

  let closed: Promise<void> | undefined;
  return {
    url,
    apiUrl: `${url}/api`,
    port,
    version: emulation.version,
    users: {
      admin: toSandboxUser(world.users.admin),
      manager: toSandboxUser(world.users.manager),
      artist: toSandboxUser(world.users.artist),
      inactive: toSandboxUser(world.users.inactive),
      totp: toSandboxUser(world.users.totp),
      defaultPassword: toSandboxUser(world.users.newcomer),
    },
    get projects() {
      return [...world.projects.values()].map((p) => ({ id: p.id, name: p.name }));
    },
    control,
    close() {
      closed ??= (async () => {
        if (timer) clearInterval(timer);
        const done = liveStream.close();
        server.closeAllConnections();
        await done;
      })();
      return closed;
    },
  };
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
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
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


