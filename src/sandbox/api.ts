/**
 * The REST routes under `<base>/api/`, answering as Zou does (src/kitsu/README.md):
 * the same paths, status codes, bodies, parameter checks and permission rules, shaped by the
 * emulated version.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { forbidden, isBrowser, type Auth, type Authenticated, type Reply } from './auth.js';
import type { EventStore } from './event-store.js';
import type { LoginLogStore } from './login-log.js';
import { isUuid } from './random.js';
import type { Timeline } from './timeline.js';
import type { StoredEvent } from './types.js';
import type { Emulation } from './versions.js';
import { deleteAssetEvents, taskDeleteData } from './generator.js';
import { isoSeconds, type Entity, type EntityKind, type Person, type World } from './world.js';

/** A request the sandbox received (the client side of the same exchange is ApiRequest in src/kitsu/http.ts). */
export interface ReceivedRequest {
  method: string;
  /** The path after `/api/`, without a leading slash: `data/events/last`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  ip: string;
  /** The parsed JSON (or form) body of a POST; {} when there is none. */
  body: Record<string, unknown>;
}

export interface ApiDeps {
  world: World;
  store: EventStore;
  logins: LoginLogStore;
  loginTimeline: Timeline;
  auth: Auth;
  emulation: Emulation;
  emit(name: string, data: Record<string, unknown>, userId: string | null): StoredEvent | null;
  streamUp(): boolean;
}

const NOT_FOUND: Reply = {
  status: 404,
  body: {
    error: true,
    message:
      '404 Not Found: The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.',
  },
};
const METHOD_NOT_ALLOWED: Reply = {
  status: 405,
  body: { message: 'The method is not allowed for the requested URL.' },
};
const BAD_ID: Reply = {
  status: 400,
  body: { error: true, message: 'One of the ID sent in parameter is not properly formatted.' },
};
const DATE_ERROR = 'Wrong date format for before argument.Expected format: 2020-01-05T13:23:10 or 2020-01-05';
const FILE_EVENTS = new Set([
  'preview-file:add-file',
  'organisation:set-thumbnail',
  'person:set-thumbnail',
  'project:set-thumbnail',
]);
const NAME_PART = /^[a-z0-9-]+$/;

class WrongParameter extends Error {}

const badRequest = (message: string): Reply => ({ status: 400, body: { error: true, message } });
const ok = (body: unknown, status = 200): Reply => ({ status, body });

// Python's strptime patterns for %Y-%m-%d and %H:%M:%S: one or two digits are accepted.
const DATE_TIME =
  /^(\d{4})-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12]\d|0[1-9]|[1-9]| [1-9])T(2[0-3]|[01]\d|\d):([0-5]\d|\d):(6[01]|[0-5]\d|\d)$/;
const DATE_ONLY = /^(\d{4})-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12]\d|0[1-9]|[1-9]| [1-9])$/;

/** Zou's `parse_date_parameter`: the strict formats only, as naive UTC, in microseconds. */
export function parseZouDate(text: string): number {
  const m = DATE_TIME.exec(text) ?? DATE_ONLY.exec(text);
  if (!m) throw new WrongParameter(DATE_ERROR);
  const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1).map((x) => (x ?? '').trim());
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const back = new Date(ms);
  if (back.getUTCDate() !== Number(d) || back.getUTCSeconds() !== Number(s)) throw new WrongParameter(DATE_ERROR);
  return ms * 1000;
}

function parseIntParam(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  // Python's int(): optional sign and surrounding blanks, digits (underscores between them).
  if (!/^\s*[+-]?\d+(_\d+)*\s*$/.test(raw)) throw new WrongParameter(`Wrong value for parameter ${name}.`);
  return Number(raw.replace(/_/g, ''));
}

const isAdmin = (p: Person) => p.role === 'admin';
const isManager = (p: Person) => p.role === 'admin' || p.role === 'manager';

export class Api {
  constructor(private readonly d: ApiDeps) {}

  handle(req: ReceivedRequest): Reply {
    try {
      return this.route(req);
    } catch (error) {
      if (error instanceof WrongParameter) return badRequest(error.message);
      throw error;
    }
  }

  private route(req: ReceivedRequest): Reply {
    const { method, path } = req;
    const get = method === 'GET' || method === 'HEAD';
    const only = (allowed: boolean, run: () => Reply): Reply => (allowed ? run() : METHOD_NOT_ALLOWED);
    let m: RegExpExecArray | null;

    switch (path) {
      case '':
        return only(get, () => ok({ api: 'Zou', version: this.d.emulation.version }));
      case 'config':
        return only(get, () => ok(this.config()));
      case 'status':
        return only(get, () => ok(this.status()));
      case 'status/test-event':
        return only(get, () => {
          this.d.emit('main:test', {}, null);
          return ok({ success: true });
        });
      case 'auth/login':
        return only(method === 'POST', () => this.login(req));
      case 'auth/refresh-token':
        return only(get, () => this.refresh(req));
      case 'auth/logout':
        return only(get, () => this.logout(req));
      case 'auth/authenticated':
        return only(get, () => this.authenticated(req));
      case 'auth/email-otp':
        return only(get, () => ok({ success: true }));
      case 'data/events/last':
        return only(get, () => this.withUser(req, (me) => this.lastEvents(req.query, me)));
      case 'data/events/names':
        if (!this.d.emulation.modernLog) return NOT_FOUND;
        return only(get, () =>
          this.withUser(req, (me) => (isManager(me) ? ok(this.d.store.distinctNames()) : forbidden())),
        );
      case 'data/events/login-logs/last':
        return only(get, () => this.withUser(req, (me) => this.loginLogs(req.query, me)));
      case 'data/projects':
        if (method === 'POST') return this.withUser(req, (me) => this.createProject(req.body, me));
        return only(get, () =>
          this.withUser(req, (me) => ok(this.visibleProjects(me).map((p) => this.d.world.projectJson(p)))),
        );
      case 'data/persons':
        if (method === 'POST') return this.withUser(req, (me) => this.createPerson(req.body, me));
        // The list: full to admins, minimal to everyone else, managers included (crud/person.py).
        return only(get, () =>
          this.withUser(req, (me) =>
            ok(
              [...this.d.world.persons.values()].map((p) =>
                isAdmin(me) ? this.d.world.personFull(p) : this.d.world.personMinimal(p),
              ),
            ),
          ),
        );
      case 'data/entity-types':
        if (method === 'POST') return this.withUser(req, (me) => this.createAssetType(req.body, me));
        return only(get, () =>
          this.withUser(req, () => ok([...this.d.world.entityTypes.values()].map((t) => this.entityTypeJson(t.id)))),
        );
      case 'data/asset-types':
        return only(get, () =>
          this.withUser(req, () => ok(this.d.world.assetTypeIds.map((id) => this.entityTypeJson(id)))),
        );
      case 'data/task-types':
        return only(get, () =>
          this.withUser(req, () => ok(this.d.world.taskTypes.map((t) => this.d.world.taskTypeJson(t)))),
        );
      case 'data/task-status':
        return only(get, () =>
          this.withUser(req, () => ok(this.d.world.statuses.map((s) => this.d.world.taskStatusJson(s)))),
        );
    }

    if ((m = /^data\/projects\/([^/]+)\/asset-types\/([^/]+)\/assets\/new$/.exec(path))) {
      const [, projectId, typeId] = m as unknown as [string, string, string];
      return only(method === 'POST', () =>
        this.withUser(req, (me) => this.createAsset(projectId, typeId, req.body, me)),
      );
    }
    if ((m = /^data\/projects\/([^/]+)\/(assets|shots|sequences|episodes)$/.exec(path))) {
      const [, projectId, collection] = m as unknown as [string, string, string];
      return only(get, () => this.withUser(req, (me) => this.projectEntities(projectId, collection, me)));
    }
    if ((m = /^data\/(assets|tasks)\/([^/]+)$/.exec(path)) && method === 'DELETE') {
      const [, collection, id] = m as unknown as [string, string, string];
      return this.withUser(req, (me) =>
        collection === 'assets' ? this.deleteAsset(id, req.query, me) : this.deleteTask(id, me),
      );
    }
    if (
      (m =
        /^data\/(projects|persons|entities|assets|shots|sequences|episodes|tasks|task-types|task-status|entity-types|asset-types|comments|preview-files)\/([^/]+)(\/full)?$/.exec(
          path,
        ))
    ) {
      const [, collection, id, full] = m as unknown as [string, string, string, string | undefined];
      if (full && collection !== 'tasks') return NOT_FOUND;
      return only(get, () => this.withUser(req, (me) => this.lookUp(collection, id, Boolean(full), me)));
    }
    return NOT_FOUND;
  }

  private withUser(req: ReceivedRequest, run: (me: Person, auth: Authenticated) => Reply): Reply {
    const auth = this.d.auth.authenticate(req.headers, 'access');
    return auth.ok ? run(auth.person, auth) : auth.reply;
  }

  // ---- index ----

  private config(): Record<string, unknown> {
    return {
      is_self_hosted: true,
      crisp_token: '',
      dark_theme_by_default: false,
      indexer_configured: false,
      default_locale: 'en_US',
      default_timezone: 'Europe/Paris',
      enforce_2fa: false,
      saml_enabled: false,
      saml_idp_name: '',
      oidc_enabled: false,
      oidc_idp_name: '',
      sentry: { dsn: '', sampleRate: 0.1 },
    };
  }

  private status(): Record<string, unknown> {
    return {
      name: 'Zou',
      version: this.d.emulation.version,
      'database-up': true,
      'key-value-store-up': true,
      'event-stream-up': this.d.streamUp(),
      'job-queue-up': true,
      'indexer-up': false,
    };
  }

  // ---- auth ----

  private login(req: ReceivedRequest): Reply {
    const userAgent = req.headers['user-agent'];
    const ip = (typeof req.headers['x-real-ip'] === 'string' ? req.headers['x-real-ip'] : '') || req.ip;
    return this.d.auth.login(req.body, {
      userAgent,
      onSuccess: (person, browser) => {
        this.d.logins.add(this.d.loginTimeline.next(), person.id, ip, browser ? 'web' : 'script');
      },
    });
  }

  private refresh(req: ReceivedRequest): Reply {
    const auth = this.d.auth.authenticate(req.headers, 'refresh');
    if (!auth.ok) return auth.reply;
    if (auth.claims.identity_type !== 'person') return forbidden();
    const access = this.d.auth.issueFromRefresh(auth.person, auth.claims);
    if (isBrowser(req.headers['user-agent'])) {
      return {
        status: 200,
        body: { refresh: true },
        headers: {
          'set-cookie': [
            `access_token_cookie=${access}; Path=/; SameSite=Lax; Max-Age=${this.d.auth.accessTtl}; HttpOnly`,
            'refresh_token_cookie=; Path=/auth/refresh-token; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0',
          ],
        },
      };
    }
    return ok({ access_token: access });
  }

  private logout(req: ReceivedRequest): Reply {
    return this.withUser(req, (_me, auth) => {
      // A bot's token is revoked by changing the person, not by logging out (src/kitsu/README.md, Authentication).
      if (auth.claims.identity_type !== 'person') return forbidden();
      this.d.auth.revoke(auth.claims.jti);
      this.d.auth.revoke(auth.claims.refresh_jti);
      const reply: Reply = ok({ logout: true });
      if (isBrowser(req.headers['user-agent'])) {
        reply.headers = {
          'set-cookie': [
            'access_token_cookie=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0',
            'refresh_token_cookie=; Path=/auth/refresh-token; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0',
          ],
        };
      }
      return reply;
    });
  }

  private authenticated(req: ReceivedRequest): Reply {
    return this.withUser(req, (me) =>
      ok({
        authenticated: true,
        user: { ...this.d.world.personFull(me), fido_devices: [] },
        organisation: this.d.world.organisationJson(),
      }),
    );
  }

  // ---- the event log ----

  /** `data/events/last`, in the order of checks of Zou's EventsResource. */
  private lastEvents(query: URLSearchParams, me: Person): Reply {
    const em = this.d.emulation;
    let limit = parseIntParam(query, em.pageParam, 100);
    if (em.cap) limit = Math.min(limit, 1000);
    const projectId = query.get('project_id');
    if (projectId !== null && !isUuid(projectId))
      throw new WrongParameter('The project_id parameter is not a valid id');
    if (!isManager(me)) return forbidden();
    const beforeText = query.get('before');
    const afterText = query.get('after');
    const beforeUs = beforeText === null ? undefined : parseZouDate(beforeText);
    const afterUs = afterText === null ? undefined : parseZouDate(afterText);
    const cursorId = em.cursor ? query.get('cursor_event_id') : null;
    if (cursorId !== null && !isUuid(cursorId))
      throw new WrongParameter('The cursor_event_id parameter is not a valid id');

    let projectIds: Set<string | null> | undefined;
    if (em.modernLog && !isAdmin(me)) {
      projectIds = new Set(this.d.world.projectsOf(me.id).map((p) => p.id));
      if (projectId !== null && !projectIds.has(projectId.toLowerCase())) return forbidden();
    }
    if (projectId !== null) {
      projectIds = new Set([projectId.toLowerCase()]);
    }

    const name = em.nameFilter ? query.get('name') : null;
    const prefixes = em.modernLog ? query.getAll('name_prefixes') : [];
    const suffixes = em.modernLog ? query.getAll('name_suffixes') : [];
    const personIds = em.modernLog ? query.getAll('person_ids') : [];
    if (personIds.some((id) => !isUuid(id)))
      throw new WrongParameter('The person_ids parameter contains an invalid id');
    if (prefixes.some((p) => !NAME_PART.test(p)))
      throw new WrongParameter('The name_prefixes parameter contains an invalid value');
    if (suffixes.some((s) => !NAME_PART.test(s)))
      throw new WrongParameter('The name_suffixes parameter contains an invalid value');

    let cursorUs: number | undefined;
    if (cursorId !== null) {
      const index = this.d.store.indexOf(cursorId);
      if (index < 0) throw new WrongParameter(`No event found with id: ${cursorId}`);
      cursorUs = this.d.store.timeAt(index);
    }
    const onlyFiles = query.get('only_files') === 'true';
    const names = (n: string): boolean => {
      if (onlyFiles && !FILE_EVENTS.has(n)) return false;
      if (name !== null && n !== name) return false;
      const colon = n.indexOf(':');
      if (prefixes.length > 0 && !prefixes.some((p) => colon >= 0 && n.slice(0, colon) === p)) return false;
      if (suffixes.length > 0 && !suffixes.some((s) => colon >= 0 && n.slice(n.lastIndexOf(':') + 1) === s))
        return false;
      return true;
    };
    const filtered = onlyFiles || name !== null || prefixes.length > 0 || suffixes.length > 0;
    const upper = [beforeUs, cursorUs].filter((x): x is number => x !== undefined);
    const rows = this.d.store.query({
      beforeUs: upper.length > 0 ? Math.min(...upper) : undefined,
      afterUs,
      limit: Math.max(0, limit),
      names: filtered ? names : undefined,
      projectIds,
      userIds: personIds.length > 0 ? new Set(personIds.map((id) => id.toLowerCase())) : undefined,
    });
    return ok(rows.map((i) => this.logRow(i)));
  }

  private lastSecond = NaN;
  private lastSecondText = '';

  private logRow(i: number): Record<string, unknown> {
    const e = this.d.store.row(i);
    // Rows of a page mostly share seconds: format each second once.
    const second = Math.floor(e.createdAtUs / 1_000_000);
    if (second !== this.lastSecond) {
      this.lastSecond = second;
      this.lastSecondText = isoSeconds(second * 1000);
    }
    const created_at = this.lastSecondText;
    if (!this.d.emulation.modernLog) return { id: e.id, created_at, name: e.name, user_id: e.user_id, data: e.data };
    return { id: e.id, created_at, name: e.name, user_id: e.user_id, project_id: e.project_id, data: e.data };
  }

  private loginLogs(query: URLSearchParams, me: Person): Reply {
    const limit = Math.min(parseIntParam(query, 'limit', 100), 1000);
    const allowed = this.d.emulation.modernLog ? isAdmin(me) : isManager(me);
    if (!allowed) return forbidden();
    const beforeText = query.get('before');
    const afterText = query.get('after');
    let beforeUs = beforeText === null ? undefined : parseZouDate(beforeText);
    const afterUs = afterText === null ? undefined : parseZouDate(afterText);
    const cursorId = query.get('cursor_login_log_id');
    if (cursorId !== null && !isUuid(cursorId))
      throw new WrongParameter('The cursor_login_log_id parameter is not a valid id');
    const personIds = query.getAll('person_ids');
    if (personIds.some((id) => !isUuid(id)))
      throw new WrongParameter('The person_ids parameter contains an invalid id');
    if (cursorId !== null) {
      const cursor = this.d.logins.rows.find((r) => r.id === cursorId.toLowerCase());
      if (!cursor) throw new WrongParameter(`No login log found with id: ${cursorId}`);
      beforeUs = beforeUs === undefined ? cursor.createdAtUs : Math.min(beforeUs, cursor.createdAtUs);
    }
    const rows = this.d.logins.query({
      beforeUs,
      afterUs,
      limit: Math.max(0, limit),
      personIds: personIds.length > 0 ? new Set(personIds.map((id) => id.toLowerCase())) : undefined,
    });
    return ok(
      rows.map((r) => ({
        id: r.id,
        created_at: isoSeconds(r.createdAtUs / 1000),
        ip_address: r.ip_address,
        person_id: r.person_id,
        origin: r.origin,
      })),
    );
  }

  // ---- look-ups ----

  private visibleProjects(me: Person) {
    return isAdmin(me) ? [...this.d.world.projects.values()] : this.d.world.projectsOf(me.id);
  }

  private canSeeProject(me: Person, projectId: string): boolean {
    return isAdmin(me) || (this.d.world.projects.get(projectId)?.team.includes(me.id) ?? false);
  }

  private personFor(me: Person, p: Person): Record<string, unknown> {
    return isManager(me) ? this.d.world.personFull(p) : this.d.world.personMinimal(p);
  }

  private entityTypeJson(id: string): Record<string, unknown> | undefined {
    const t = this.d.world.entityTypes.get(id);
    if (!t) return undefined;
    const asset = this.d.world.assetTypeIds.includes(id);
    return {
      id: t.id,
      name: t.name,
      short_name: '',
      description: null,
      archived: false,
      task_types: [],
      created_at: isoSeconds(0),
      updated_at: isoSeconds(0),
      type: asset ? 'AssetType' : 'EntityType',
    };
  }

  /**
   * `permissions_service.check_entity_access`: a vendor reads an entity only when one of its
   * tasks is assigned to them; everyone else once the project is theirs (check_project_access).
   */
  private canReadEntity(me: Person, entityId: string, projectId: string): boolean {
    if (!this.canSeeProject(me, projectId)) return false;
    return me.role !== 'vendor' || this.d.world.tasksOf(entityId).some((t) => t.assignees.includes(me.id));
  }

  /** `permissions_service.check_comment_access`: clients read only comments by clients. */
  private canReadComment(me: Person, taskId: string, authorId: string): boolean {
    if (isAdmin(me)) return true;
    const task = this.d.world.tasks.get(taskId);
    if (!task || !this.canReadEntity(me, task.entity_id, task.project_id)) return false;
    return me.role !== 'client' || this.d.world.persons.get(authorId)?.role === 'client';
  }

  private lookUp(collection: string, rawId: string, full: boolean, me: Person): Reply {
    if (!isUuid(rawId)) return BAD_ID;
    const id = rawId.toLowerCase();
    const w = this.d.world;
    switch (collection) {
      case 'projects': {
        const p = w.projects.get(id);
        if (!p) return NOT_FOUND;
        return this.canSeeProject(me, id) ? ok(w.projectJson(p)) : forbidden();
      }
      case 'persons': {
        const p = w.persons.get(id);
        return p ? ok(this.personFor(me, p)) : NOT_FOUND;
      }
      case 'tasks': {
        // crud/task.py and tasks/resources.py TaskFullResource: project access, then entity access.
        const t = w.tasks.get(id);
        if (!t) return NOT_FOUND;
        if (!this.canReadEntity(me, t.entity_id, t.project_id)) return forbidden();
        return ok(full ? w.taskFullJson(t) : w.taskJson(t));
      }
      case 'comments': {
        const c = w.comments.get(id);
        if (!c) return NOT_FOUND;
        return this.canReadComment(me, c.task_id, c.person_id) ? ok(w.commentJson(c)) : forbidden();
      }
      case 'preview-files': {
        // crud/preview_file.py: a vendor must work on the task, others need the project.
        const p = w.previews.get(id);
        const task = p ? w.tasks.get(p.task_id) : undefined;
        if (!p || !task) return NOT_FOUND;
        const allowed = me.role === 'vendor' ? task.assignees.includes(me.id) : this.canSeeProject(me, task.project_id);
        return allowed ? ok(w.previewJson(p)) : forbidden();
      }
      case 'task-types': {
        const t = w.taskTypes.find((x) => x.id === id);
        return t ? ok(w.taskTypeJson(t)) : NOT_FOUND;
      }
      case 'task-status': {
        const s = w.statuses.find((x) => x.id === id);
        return s ? ok(w.taskStatusJson(s)) : NOT_FOUND;
      }
      case 'entity-types':
      case 'asset-types': {
        const t = this.entityTypeJson(id);
        if (!t || (collection === 'asset-types' && t.type !== 'AssetType')) return NOT_FOUND;
        return ok(t);
      }
      default: {
        const kinds: Record<string, EntityKind | null> = {
          entities: null,
          assets: 'Asset',
          shots: 'Shot',
          sequences: 'Sequence',
          episodes: 'Episode',
        };
        const e: Entity | undefined = w.entities.get(id);
        const kind = kinds[collection];
        if (!e || (kind && e.kind !== kind)) return NOT_FOUND;
        if (!this.canReadEntity(me, e.id, e.project_id)) return forbidden();
        // The typed routes answer get_full_asset/get_full_shot/…; crud/entity.py the bare row.
        return ok(kind ? w.entityFullJson(e) : w.entityJson(e));
      }
    }
  }

  /**
   * `data/projects/<id>/assets|shots|sequences|episodes` (assets/ and shots/resources.py):
   * project access, and a vendor sees only what they have a task on.
   */
  private projectEntities(rawProjectId: string, collection: string, me: Person): Reply {
    if (!isUuid(rawProjectId)) return BAD_ID;
    const projectId = rawProjectId.toLowerCase();
    const w = this.d.world;
    if (!w.projects.has(projectId)) return NOT_FOUND;
    if (!this.canSeeProject(me, projectId)) return forbidden();
    const kind = ({ assets: 'Asset', shots: 'Shot', sequences: 'Sequence', episodes: 'Episode' } as const)[
      collection as 'assets'
    ];
    const rows = [...w.entities.values()].filter(
      (e) => e.project_id === projectId && e.kind === kind && this.canReadEntity(me, e.id, projectId),
    );
    return ok(rows.map((e) => w.entityJson(e)));
  }

  // ---- deletions ----

  /**
   * `DELETE data/assets/<id>` (assets/resources.py, assets_service.remove_asset): with tasks and
   * without `force=true` the asset is only canceled (`asset:update`); with it, each task goes
   * (`task:delete`), then the asset (`asset:delete`), all after the rows are gone.
   */
  private deleteAsset(rawId: string, query: URLSearchParams, me: Person): Reply {
    if (!isUuid(rawId)) return BAD_ID;
    const w = this.d.world;
    const asset = w.entities.get(rawId.toLowerCase());
    if (!asset || asset.kind !== 'Asset') return NOT_FOUND;
    if (!isAdmin(me) && !(isManager(me) && this.canSeeProject(me, asset.project_id))) return forbidden();
    const force = query.get('force') === 'true';
    if (w.tasksOf(asset.id).length > 0 && !force) {
      asset.canceled = true;
      this.d.emit('asset:update', { asset_id: asset.id, project_id: asset.project_id }, me.id);
      return { status: 204, body: '' };
    }
    for (const event of deleteAssetEvents(w, asset)) this.d.emit(event.name, event.data, me.id);
    return { status: 204, body: '' };
  }

  /** `DELETE data/tasks/<id>` (crud/task.py; deletion_service.remove_task emits task:delete). */
  private deleteTask(rawId: string, me: Person): Reply {
    if (!isUuid(rawId)) return BAD_ID;
    const w = this.d.world;
    const task = w.tasks.get(rawId.toLowerCase());
    if (!task) return NOT_FOUND;
    if (!isAdmin(me) && !(isManager(me) && this.canSeeProject(me, task.project_id))) return forbidden();
    w.removeTask(task.id);
    this.d.emit('task:delete', taskDeleteData(task), me.id);
    return { status: 204, body: '' };
  }

  // ---- writes ----

  private requireName(body: Record<string, unknown>): string | Reply {
    const name = body.name;
    if (typeof name !== 'string' || name.trim() === '') return badRequest('Name is missing or empty.');
    return name;
  }

  private createProject(body: Record<string, unknown>, me: Person): Reply {
    if (!isAdmin(me)) return forbidden();
    const name = this.requireName(body);
    if (typeof name !== 'string') return name;
    const w = this.d.world;
    if ([...w.projects.values()].some((p) => p.name === name))
      return badRequest('A project with this name already exists.');
    const type =
      body.production_type === 'tvshow' || body.production_type === 'featurefilm' ? body.production_type : 'short';
    const project = w.addProject(name, type, me.is_bot ? [] : [me.id], randomUUID(), Date.now());
    this.d.emit('project:new', { project_id: project.id }, me.id);
    return ok(w.projectJson(project), 201);
  }

  private createAssetType(body: Record<string, unknown>, me: Person): Reply {
    if (!isAdmin(me)) return forbidden();
    const name = this.requireName(body);
    if (typeof name !== 'string') return name;
    const type = this.d.world.addEntityType(name, randomUUID());
    this.d.world.assetTypeIds.push(type.id);
    this.d.emit('asset-type:new', { asset_type_id: type.id }, me.id);
    return ok(this.entityTypeJson(type.id), 201);
  }

  private createAsset(rawProjectId: string, rawTypeId: string, body: Record<string, unknown>, me: Person): Reply {
    if (!isUuid(rawProjectId) || !isUuid(rawTypeId)) return BAD_ID;
    const w = this.d.world;
    const project = w.projects.get(rawProjectId.toLowerCase());
    const typeId = rawTypeId.toLowerCase();
    if (!project || !w.assetTypeIds.includes(typeId)) return NOT_FOUND;
    if (!isAdmin(me) && !(isManager(me) && project.team.includes(me.id))) return forbidden();
    const name = this.requireName(body);
    if (typeof name !== 'string') return name;
    const description = typeof body.description === 'string' ? body.description : '';
    const asset = w.addAssetOnly(project.id, typeId, name, description, randomUUID());
    this.d.emit('asset:new', { asset_id: asset.id, asset_type: typeId, project_id: project.id }, me.id);
    return ok(w.entityJson(asset), 201);
  }

  private createPerson(body: Record<string, unknown>, me: Person): Reply {
    if (!isAdmin(me)) return forbidden();
    const w = this.d.world;
    const isBot = body.is_bot === true || body.is_bot === 'true';
    const email = typeof body.email === 'string' ? body.email.trim() : '';
    if (!isBot && !/^[^@\s]+@[^@\s]+$/.test(email)) return badRequest('Invalid email');
    if (email && w.findPersonByLogin(email)) return badRequest('Email already exists');
    const roles = ['admin', 'manager', 'supervisor', 'user', 'client', 'vendor'];
    const role = typeof body.role === 'string' && roles.includes(body.role) ? (body.role as Person['role']) : 'user';
    const person = this.addPerson({
      first_name: typeof body.first_name === 'string' ? body.first_name : isBot ? 'Bot' : '',
      last_name: typeof body.last_name === 'string' ? body.last_name : '',
      email,
      role,
      is_bot: isBot,
    });
    const reply: Record<string, unknown> = w.personFull(person);
    if (isBot) reply.access_token = this.d.auth.issueBot(person);
    this.d.emit('person:new', { person_id: person.id }, me.id);
    return ok(reply, 201);
  }

  /** Adds a person to the world (used by the route and by control.createBot). */
  addPerson(fields: Pick<Person, 'first_name' | 'last_name' | 'email' | 'role' | 'is_bot'>): Person {
    const w = this.d.world;
    const person: Person = {
      id: randomUUID(),
      password: '',
      active: true,
      desktop_login: '',
      botJti: null,
      createdAt: isoSeconds(Date.now()),
      failedLogins: 0,
      lastFailedMs: 0,
      ...fields,
    };
    w.persons.set(person.id, person);
    return person;
  }
}
