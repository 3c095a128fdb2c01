/**
 * A Kitsu stand-in on 127.0.0.1: Zou's REST API under `<base>/api/` and its event stream at
 * `<base>/socket.io` (namespace `/events`), built to src/kitsu/README.md. Used by
 * `kitsu-tail sandbox`, `demo`, and every test and benchmark, which drive it through `control`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Api } from './api.js';
import { Auth } from './auth.js';
import { EventStore, rowProjectId } from './event-store.js';
import { Front } from './front.js';
import { ActivityGenerator, LiveActivity } from './generator.js';
import { writeHistory } from './history.js';
import { LoginLogStore } from './login-log.js';
import { Random } from './random.js';
import { EventStream } from './stream.js';
import { Timeline } from './timeline.js';
import type { EmitOptions, Role, Sandbox, SandboxControl, SandboxOptions, SandboxUser, StoredEvent } from './types.js';
import { emulationOf, NEWEST_VERSION } from './versions.js';
import { World, type Person } from './world.js';

export type * from './types.js';
export { totpCode } from './totp.js';

const DAY = 86_400;
/** The events Zou emits with `persist=False` (src/kitsu/README.md, Event stream): live only, never in the log. */
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

export function isPersisted(name: string): boolean {
  return !NOT_PERSISTED.has(name) && !name.startsWith('preview-room:');
}

function normalizeBasePath(path: string | undefined): string {
  const trimmed = (path ?? '').replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

function toSandboxUser(p: Person): SandboxUser {
  const user: SandboxUser = {
    id: p.id,
    email: p.email,
    password: p.password,
    full_name: `${p.first_name} ${p.last_name}`,
    role: p.role,
    active: p.active,
  };
  if (p.totpSecret) user.totpSecret = p.totpSecret;
  return user;
}

/**
 * The key that signs tokens. Real Zou keeps its SECRET_KEY across restarts, so sessions
 * survive one; so does the sandbox: the key lives in the `state` folder, or comes from the seed
 * (a stand-in on 127.0.0.1 for trying things, not a place for secrets).
 */
function signingKey(seed: number, state: string | undefined): Buffer {
  if (state === undefined) return createHash('sha256').update(`kitsu-tail sandbox signing key, seed ${seed}`).digest();
  mkdirSync(state, { recursive: true, mode: 0o700 });
  const file = join(state, 'signing-key');
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
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
    secret: signingKey(seed, options.state),
  });

  const server: Server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert })
    : createHttpServer();
  const stream = new EventStream(server, {
    path: `${basePath}/socket.io`,
    pingInterval: options.pingInterval ?? 25_000,
    pingTimeout: options.pingTimeout ?? 20_000,
    accept: (headers) => auth.authenticate(headers, 'access').ok,
  });

  // Zou's events.emit: publish live first, then write the row (src/kitsu/README.md, Event stream).
  const emit = (
    name: string,
    data: Record<string, unknown> = {},
    emitOptions: EmitOptions = {},
  ): StoredEvent | null => {
    const eventName = name.toLowerCase();
    const payload = { ...data };
    // Zou's emit() puts a project_id argument into the data as well.
    if (emitOptions.projectId) payload.project_id = emitOptions.projectId;
    stream.broadcast(eventName, payload);
    if (!(emitOptions.persist ?? isPersisted(eventName))) return null;
    const projectId = emitOptions.projectId !== undefined ? emitOptions.projectId : rowProjectId(eventName, payload);
    const index = store.append(eventName, timeline.next(), emitOptions.userId ?? null, projectId, payload);
    return store.row(index);
  };

  const api = new Api({
    world,
    store,
    logins: new LoginLogStore(),
    loginTimeline: new Timeline(),
    auth,
    emulation,
    emit: (name, data, userId) => emit(name, data, { userId }),
    streamUp: () => !stream.isStopped,
  });
  const front = new Front(api, stream, basePath);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => front.onRequest(req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => stream.handleUpgrade(req, socket, head));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}${basePath}`;

  const live = new LiveActivity(generator, (e) => emit(e.name, e.data, { userId: e.userId }));
  live.setRate(options.rate ?? 0);

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
    setRate: (perSecond) => live.setRate(perSecond),
    log: () => store.all(),
    restartStream: () => stream.restart(),
    stopStream: () => stream.stop(),
    resumeStream: () => stream.resume(),
    silenceStream: () => stream.silence(),
    unsilenceStream: () => stream.unsilence(),
    failRoutes: (rule) => front.failRoutes(rule),
    clearFailures: () => front.clearFailures(),
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
    requests: () => front.requestLog,
    connectedSockets: () => stream.connectedSockets(),
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
        live.setRate(0);
        const done = stream.close();
        server.closeAllConnections();
        await done;
      })();
      return closed;
    },
  };
}
