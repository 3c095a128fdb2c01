/**
 * Names for what an event is about, as Kitsu shows them: the project, the person, the task as
 * `<entity path> · <task type>` (`E01 / SQ010 / SH010 · Animation`, `Character / Fox ·
 * Modeling`), the task status by its short name (`wip`), the task type and asset type.
 *
 * Look-ups are shared (one request an id however many events ask), run a few at a time, and
 * are remembered in memory and on disk (NameCache) for a time-to-live. A task costs one
 * request: `data/tasks/<id>/full` answers with its entity, the entity's sequence and episode
 * or asset type, the task type, status and project. Projects, people, task types and statuses
 * come in one list request each. A resolve never waits more than `budgetMs` for the server:
 * what is not known by then shows as a short id (`(deleted)` when the server said 404), the
 * look-up goes on in the background and later events get the name.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { EventRecord } from '../core/record.js';
import { eventRefs, type EntityKindKey, type EventNames, type EventRefs } from '../core/event-subject.js';

export type { EventNames };
import { CliError, PermissionError } from '../errors.js';
import { NameCache, type CacheEntry } from './name-cache.js';
import type { RecordNamer } from '../output/types.js';
import { configDir } from '../store/paths.js';
import type { Session } from './types.js';

/** The ids behind the names, for filters (--entity, --task-type, --status). */
export interface EventSubject {
  project_id?: string;
  task_id?: string;
  /** The entity the event is about, then its parents outward (shot, sequence, episode). */
  entity_ids: string[];
  task_type_id?: string;
  /** The status the event names (new_task_status_id, else task_status_id). */
  task_status_id?: string;
  /** The task's status when it was last looked up or changed by an event seen; may be stale. */
  current_task_status_id?: string;
}

export interface Resolution {
  names: EventNames;
  subject: EventSubject;
  /** False when some look-up did not finish in time: names hold short ids there (as for refused or deleted ones). */
  complete: boolean;
}

export interface ResolveOptions {
  /** Longest wait for the server, ms; default the resolver's budget (200). */
  waitMs?: number;
}

/** An entity as the filters see it (`--entity SH010`). */
export interface EntityInfo {
  id: string;
  name: string;
  kind: string;
  /** `E01 / SQ010 / SH010`, as in names.entity. */
  path: string;
  project_id: string | null;
  parent_id: string | null;
}

export interface NamedRow {
  id: string;
  name: string;
}

export interface NameResolver {
  /** Names and ids of what the record is about, waiting at most the budget for look-ups. */
  resolve(record: EventRecord, options?: ResolveOptions): Promise<Resolution>;
  /**
   * The names at once when everything the record needs is known already (no promise, no
   * wait: the common case once the cache is warm); undefined when a look-up is needed.
   */
  resolveNow(record: EventRecord): Resolution | undefined;
  /**
   * `JSON.stringify(resolveNow(record).names)`, the same bytes, made without the names object
   * where the names are kept as text (the common case once warm); undefined when a look-up is
   * needed.
   */
  namesJsonNow(record: EventRecord): string | undefined;
  /** Starts the look-ups of many records at once (a window of the log) and waits for them (up to the budget). */
  prefetch(records: readonly EventRecord[], options?: ResolveOptions): Promise<void>;
  /**
   * resolve() of each record of a window, in one pass: the look-ups of all of them start at
   * once (as prefetch), and a record whose names are known is read once, not once to see
   * whether it needs a look-up and again to name it.
   */
  resolveAll(records: readonly EventRecord[], options?: ResolveOptions): Promise<Resolution[]>;
  /** Every asset, shot, sequence and episode of these projects (all readable ones when none). */
  entities(projectIds?: readonly string[]): Promise<EntityInfo[]>;
  taskTypes(): Promise<NamedRow[]>;
  /** Task statuses; `name` is the short name (wip), `long_name` the full one. */
  taskStatuses(): Promise<(NamedRow & { long_name: string })[]>;
  /** Requests sent so far (for the benchmark's requests per 1000 events). */
  requestCount(): number;
  /** Writes the disk cache (when it changed). Never throws. */
  save(): Promise<void>;
  /** Stops background work and saves. */
  close(): Promise<void>;
}

export interface NameResolverOptions {
  /** The disk cache; none: memory only. */
  cacheFile?: string;
  /** How long a learned name is trusted. Default 12 hours. */
  ttlMs?: number;
  /** Longest wait a resolve makes for the server. Default 200 ms. */
  budgetMs?: number;
  /** Look-ups in flight at once. Default 8. */
  concurrency?: number;
  now?: () => number;
}

const DEFAULT_TTL_MS = 12 * 3_600_000;
const DEFAULT_BUDGET_MS = 200;
/** A refused (403) look-up is not asked again for this long; other failures for a minute. */
const DENIED_RETRY_MS = 10 * 60_000;
const FAILED_RETRY_MS = 60_000;
/** Lists are re-read at most this often in a run, when an id is missing from them. */
const LIST_RETRY_MS = 5 * 60_000;
/** A long `listen` writes what it learned this often, so that a kill loses little. */
const AUTOSAVE_MS = 60_000;
/** How long the end of a command waits for look-ups still on their way, to cache them. */
const CLOSE_GRACE_MS = 1_000;
/** How long a lone comment or preview waits for the next events to name its task. */
const LEARN_WAIT_MS = 50;
/** Kept entity paths and JSON texts are built afresh at least this often (their entries expire unseen). */
const KEPT_MS = 60_000;
/** The entity ids of an event about no entity: one array for all of them. */
const NO_IDS: string[] = Object.freeze([]) as unknown as string[];

/** An entity's path and what it says, as build() reads it (shared while the cache is unchanged). */
interface EntityPath {
  path: string;
  ids: readonly string[];
  kind?: string;
  assetType?: string;
  /** Its part of the names' JSON: `,"entity":…` then `,"entity_type":…` and `,"asset_type":…` when known. */
  json: string;
  /** `json` and the task type's field, by task type id: what a task's names hold between person and status. */
  withTaskType: Map<string, string>;
}

/** The keys of the names' JSON that keptJson() writes from kept texts, and the cache kind of each. */
const KEPT_FIELDS = {
  project: 'project',
  person: 'person',
  assignee: 'person',
  asset_type: 'asset_type',
  task_type: 'task_type',
  task_status: 'status',
  previous_task_status: 'status',
} as const;
type KeptField = keyof typeof KEPT_FIELDS;

/**
 * One flat string: a kept text goes into every record written, and copying one piece is
 * cheaper than walking the pieces that concatenation leaves (join() makes a flat string).
 */
const flat = (...pieces: string[]): string => pieces.join('');

/**
 * `json` (from its `{`) and a kept field, which comes with a comma before it: none right after
 * the `{`. (The field's own text, sliced; slicing the whole at the end would copy it.)
 */
const withField = (json: string, field: string): string => json + (json.length === 1 ? field.slice(1) : field);

/** A look-up an event needs: its cache key, and how to run it (shared while in flight). */
interface Fetch {
  key: string;
  run: () => Promise<void>;
}

type ListName = 'projects' | 'persons' | 'task-types' | 'task-status';
const LIST_ROUTE: Record<ListName, string> = {
  projects: 'data/projects',
  persons: 'data/persons',
  'task-types': 'data/task-types',
  'task-status': 'data/task-status',
};

/** The first eight characters of a UUID, as the table shows unknown ids. */
export function shortId(id: string): string {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(id) ? id.slice(0, 8) : id;
}

function isNotFound(error: unknown): boolean {
  // The http client maps statuses it has no class for to a CliError quoting the status.
  return error instanceof CliError && / with 404\b/.test(error.message);
}

type Row = Record<string, unknown>;
const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const lower = (value: unknown): string | undefined => str(value)?.toLowerCase();

function personName(row: Row): string | undefined {
  return str(row.full_name) ?? ([str(row.first_name), str(row.last_name)].filter(Boolean).join(' ') || undefined);
}

/** Zou's entity type names, by the kind an event name gives (`shot:update` → Shot). */
const KIND_NAME: Record<EntityKindKey, string> = {
  asset: 'Asset',
  shot: 'Shot',
  sequence: 'Sequence',
  episode: 'Episode',
  edit: 'Edit',
  concept: 'Concept',
  scene: 'Scene',
};
const NON_ASSET_TYPES = new Set(['Shot', 'Sequence', 'Episode', 'Edit', 'Concept', 'Scene']);
/** The typed route of an entity kind, which answers with its parents' names too. */
const KIND_ROUTE: Partial<Record<EntityKindKey, string>> = {
  asset: 'data/assets',
  shot: 'data/shots',
  sequence: 'data/sequences',
  episode: 'data/episodes',
};

export function createNameResolver(session: Session, options: NameResolverOptions = {}): NameResolver {
  return new CachedNameResolver(session, options);
}

/** The resolver of a command: its profile's disk cache under the config folder. */
export function openNameResolver(env: Record<string, string | undefined>, session: Session): NameResolver {
  return createNameResolver(session, { cacheFile: nameCacheFile(configDir(env), session.profileName, session.apiUrl) });
}

/** The resolver as the record writer uses it (src/output/types.ts RecordNamer). */
export function recordNamer(resolver: NameResolver): RecordNamer {
  return {
    names: async (record) => (await resolver.resolve(record)).names,
    namesNow: (record) => resolver.resolveNow(record)?.names,
    namesJsonNow: (record) => resolver.namesJsonNow(record),
    prefetch: (records) => resolver.prefetch(records),
  };
}

class CachedNameResolver implements NameResolver {
  private readonly cache: NameCache;
  private readonly budgetMs: number;
  private readonly now: () => number;
  private readonly inflight = new Map<string, Promise<void>>();
  /** When each look-up in flight started. */
  private readonly startedAt = new Map<string, number>();
  /** Keys whose look-up failed, and until when not to ask again. */
  private readonly failed = new Map<string, number>();
  /** When each list was last read in this run. */
  private readonly listedAt = new Map<ListName, number>();
  private readonly listing = new Map<ListName, Promise<void>>();
  private requests = 0;
  private active = 0;
  private readonly queue: (() => void)[] = [];
  private readonly concurrency: number;
  private readonly abort = new AbortController();
  private readonly loaded: Promise<void>;
  private isLoaded = false;
  private closed = false;

  constructor(
    private readonly session: Session,
    private readonly options: NameResolverOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.cache = new NameCache(options.ttlMs ?? DEFAULT_TTL_MS, this.now);
    this.cache.onChange = (key) => {
      // A task's entry changes with its status, which its names do not show; what the kept
      // texts are made of (names, entities) changes seldom: then they are all made afresh.
      const kind = key.slice(0, key.indexOf(':'));
      if (kind !== 'task' && kind !== 'comment' && kind !== 'preview') this.forgetKept();
    };
    this.loaded = (options.cacheFile ? this.cache.load(options.cacheFile) : Promise.resolve()).then(() => {
      this.isLoaded = true;
    });
    if (options.cacheFile) {
      this.autosave = setInterval(() => void this.save(), AUTOSAVE_MS);
      this.autosave.unref();
    }
  }

  private readonly autosave: NodeJS.Timeout | undefined;

  requestCount(): number {
    return this.requests;
  }

  resolveNow(record: EventRecord): Resolution | undefined {
    if (!this.isLoaded) return undefined;
    const refs = eventRefs(record);
    this.learn(record, refs);
    return this.known(refs);
  }

  namesJsonNow(record: EventRecord): string | undefined {
    if (!this.isLoaded) return undefined;
    const refs = eventRefs(record);
    this.learn(record, refs);
    const kept = this.keptJson(refs);
    if (kept !== undefined) return kept;
    const known = this.known(refs);
    return known && JSON.stringify(known.names);
  }

  async resolve(record: EventRecord, options: ResolveOptions = {}): Promise<Resolution> {
    await this.loaded;
    const refs = eventRefs(record);
    this.learn(record, refs);
    return this.known(refs) ?? this.lookUp(refs, options.waitMs ?? this.budgetMs);
  }

  /** What resolve() does once known() said a look-up is needed. */
  private async lookUp(refs: EventRefs, waitMs: number): Promise<Resolution> {
    const pending = this.pending(refs);
    if (pending.length === 0) return this.build(refs, true);
    const complete = await this.within(this.walk(refs), this.waitFor(pending, waitMs));
    return this.build(refs, complete && this.pending(refs).length === 0);
  }

  async prefetch(records: readonly EventRecord[], options: ResolveOptions = {}): Promise<void> {
    await this.resolveAll(records, options);
  }

  async resolveAll(records: readonly EventRecord[], options: ResolveOptions = {}): Promise<Resolution[]> {
    await this.loaded;
    const waitMs = options.waitMs ?? this.budgetMs;
    const resolved: Resolution[] = new Array<Resolution>(records.length);
    // Every record is learned from before any is named, as resolving them one by one after a
    // prefetch of the window did.
    const refsOf = records.map((record) => {
      const refs = eventRefs(record);
      this.learn(record, refs);
      return refs;
    });
    // Tasks first: tasks/<id>/full brings their entities too, which entity events then need
    // not ask for.
    const byTask: EventRefs[] = [];
    const others: EventRefs[] = [];
    const waiting: number[] = [];
    for (const [i, refs] of refsOf.entries()) {
      const known = this.known(refs);
      if (known) resolved[i] = known;
      else {
        waiting.push(i);
        if (this.pending(refs).length > 0) (refs.task_id ? byTask : others).push(refs);
      }
    }
    if (waiting.length === 0) return resolved;
    if (byTask.length + others.length > 0) {
      const work = (async () => {
        await Promise.all(byTask.map((refs) => this.walk(refs)));
        await Promise.all(others.map((refs) => this.walk(refs)));
      })();
      await this.within(work, waitMs);
    }
    for (const i of waiting) resolved[i] = this.known(refsOf[i]!) ?? (await this.lookUp(refsOf[i]!, waitMs));
    return resolved;
  }

  async save(): Promise<void> {
    if (!this.options.cacheFile) return;
    try {
      await this.loaded;
      await this.cache.save(this.options.cacheFile);
    } catch {
      // Only a cache: a read-only home folder costs requests next time, nothing else.
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Look-ups on their way are worth keeping for the next run: a moment for them, no more.
    if (this.inflight.size > 0)
      await this.within(
        Promise.all(this.inflight.values()).then(() => undefined),
        CLOSE_GRACE_MS,
      );
    this.closed = true;
    clearInterval(this.autosave);
    this.abort.abort();
    for (const release of this.queue.splice(0)) release();
    await this.save();
  }

  // ---- learning from events themselves ----

  /** What an event says outright: a comment's or preview's task, a task's new status, a deletion. */
  private learn(record: EventRecord, refs: EventRefs): void {
    if (refs.task_id) {
      if (refs.comment_id && !this.cache.getIn('comment', refs.comment_id))
        this.cache.setIn('comment', refs.comment_id, { k: 'comment', task_id: refs.task_id });
      if (refs.preview_file_id && !this.cache.getIn('preview', refs.preview_file_id))
        this.cache.setIn('preview', refs.preview_file_id, { k: 'preview', task_id: refs.task_id });
      // Only these two change what is known of the task itself.
      if (record.name === 'task:status-changed' || record.name === 'task:delete')
        this.learnTask(record, refs, refs.task_id);
    }
    if (refs.deleted && refs.entity_kind && refs.entity_id) {
      const entity = this.cache.getIn('entity', refs.entity_id);
      if (entity?.k === 'entity') this.cache.setIn('entity', refs.entity_id, { ...entity, deleted: true });
      else this.cache.setIn('entity', refs.entity_id, { k: 'gone' });
    }
  }

  /** A task's new status, or its deletion. */
  private learnTask(record: EventRecord, refs: EventRefs, taskId: string): void {
    const task = this.cache.getIn('task', taskId);
    if (task?.k === 'task') {
      if (record.name === 'task:status-changed' && refs.task_status_id && task.task_status_id !== refs.task_status_id)
        this.cache.setIn('task', taskId, { ...task, task_status_id: refs.task_status_id });
      if (refs.deleted && record.name === 'task:delete') this.cache.setIn('task', taskId, { ...task, deleted: true });
    } else if (record.name === 'task:delete' && refs.entity_id && refs.task_type_id) {
      // The row is gone, but the event names its entity and type: enough for its name.
      this.cache.setIn('task', taskId, {
        k: 'task',
        entity_id: refs.entity_id,
        task_type_id: refs.task_type_id,
        project_id: refs.project_id ?? null,
        deleted: true,
      });
    }
  }

  // ---- what is missing, and fetching it ----

  /** The task an event is about: named, or through its comment or preview. */
  private taskOf(refs: EventRefs): string | undefined {
    if (refs.task_id) return refs.task_id;
    const comment = refs.comment_id ? this.cache.getIn('comment', refs.comment_id) : undefined;
    if (comment?.k === 'comment') return comment.task_id;
    const preview = refs.preview_file_id ? this.cache.getIn('preview', refs.preview_file_id) : undefined;
    if (preview?.k === 'preview') return preview.task_id;
    return undefined;
  }

  /** The look-ups this event still needs, given what is known now: one level of the chain. */
  private pending(refs: EventRefs): Fetch[] {
    const out: Fetch[] = [];
    const need = (key: string, fetch: () => Promise<void>): void => {
      if (this.cache.get(key) !== undefined) return;
      const until = this.failed.get(key);
      if (until !== undefined && until > this.now()) return;
      out.push({ key, run: () => this.once(key, fetch) });
    };
    if (refs.project_id) need(`project:${refs.project_id}`, () => this.fromList('projects', refs.project_id!));
    for (const person of [refs.actor_id, refs.assignee_id, refs.person_id])
      if (person) need(`person:${person}`, () => this.fromList('persons', person));
    for (const status of [refs.task_status_id, refs.previous_task_status_id])
      if (status) need(`status:${status}`, () => this.fromList('task-status', status));
    if (refs.asset_type_id) need(`asset_type:${refs.asset_type_id}`, () => this.fetchAssetType(refs.asset_type_id!));
    const taskId = this.taskOf(refs);
    if (!taskId && refs.comment_id) need(`comment:${refs.comment_id}`, () => this.fetchComment(refs.comment_id!));
    else if (!taskId && refs.preview_file_id)
      need(`preview:${refs.preview_file_id}`, () => this.fetchPreview(refs.preview_file_id!));
    let entityId = refs.entity_id;
    let kind = refs.entity_kind;
    let taskTypeId = refs.task_type_id;
    if (taskId) {
      const task = this.cache.getIn('task', taskId);
      if (task?.k === 'task') {
        entityId = task.entity_id;
        kind = undefined;
        taskTypeId = task.task_type_id;
      } else need(`task:${taskId}`, () => this.fetchTask(taskId!));
    }
    if (taskTypeId) need(`task_type:${taskTypeId}`, () => this.fromList('task-types', taskTypeId!));
    // The entity and its parents, as far as they are known.
    for (let depth = 0; entityId && depth < 4; depth += 1) {
      const entity = this.cache.getIn('entity', entityId);
      if (entity?.k !== 'entity') {
        const id = entityId;
        const hint = kind;
        need(`entity:${id}`, () => this.fetchEntity(id, hint));
        break;
      }
      if (entity.asset_type_id)
        need(`asset_type:${entity.asset_type_id}`, () => this.fetchAssetType(entity.asset_type_id!));
      entityId = entity.parent_id ?? undefined;
      kind = undefined;
    }
    return out;
  }

  /** Fetches level after level until nothing more can be learned. Never rejects. */
  private async walk(refs: EventRefs): Promise<void> {
    for (let level = 0; level < 8; level += 1) {
      const fetches = this.pending(refs);
      if (fetches.length === 0) return;
      await Promise.all(fetches.map((f) => f.run()));
    }
  }

  /**
   * How long a resolve may still wait: its budget, counted for a look-up already on its way
   * from when that look-up started, so that a slow one holds the stream back once, not once
   * for every event that needs it.
   */
  private waitFor(pending: readonly Fetch[], waitMs: number): number {
    const now = this.now();
    let longest = 0;
    for (const { key } of pending) {
      const started = this.startedAt.get(key);
      longest = Math.max(longest, started === undefined ? waitMs : started + waitMs - now);
      if (longest >= waitMs) return waitMs;
    }
    return longest;
  }

  /** Waits for `work` at most `ms`; true when it finished. */
  private async within(work: Promise<void>, ms: number): Promise<boolean> {
    if (ms <= 0) return false;
    let timer: NodeJS.Timeout | undefined;
    // A ref'd timer (cleared below): someone awaits it, and when nothing else holds the event
    // loop (no request in flight) an unref'd one would let the process exit, 13, mid-await.
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([work.then(() => true as const), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** One look-up a key at a time; a failure is remembered so the stream does not ask again at once. */
  private once(key: string, fetch: () => Promise<void>): Promise<void> {
    const running = this.inflight.get(key);
    if (running) return running;
    this.startedAt.set(key, this.now());
    const done = fetch()
      .catch((error: unknown) => {
        if (isNotFound(error)) this.cache.set(key, { k: 'gone' });
        else this.failed.set(key, this.now() + (error instanceof PermissionError ? DENIED_RETRY_MS : FAILED_RETRY_MS));
      })
      .then(() => {
        // A fetch that answered without the key (an id missing from a list) is not asked again soon.
        if (this.cache.get(key) === undefined && !this.failed.has(key))
          this.failed.set(key, this.now() + FAILED_RETRY_MS);
      })
      .finally(() => {
        this.inflight.delete(key);
        this.startedAt.delete(key);
      });
    this.inflight.set(key, done);
    return done;
  }

  /** A request, when one of the `concurrency` slots is free; `first`: ahead of those waiting. */
  private async get(path: string, first = false): Promise<unknown> {
    if (this.closed) throw new Error('name resolver closed');
    if (this.active >= this.concurrency)
      await new Promise<void>((resolve) => (first ? this.queue.unshift(resolve) : this.queue.push(resolve)));
    if (this.closed) throw new Error('name resolver closed');
    this.active += 1;
    this.requests += 1;
    try {
      return await this.session.http.get<unknown>(path, undefined, { signal: this.abort.signal });
    } finally {
      this.active -= 1;
      this.queue.shift()?.();
    }
  }

  /** A name from its list (one request for every id of that kind), else from its own route. */
  private async fromList(list: ListName, id: string): Promise<void> {
    const key = `${listKind(list)}:${id}`;
    const at = this.listedAt.get(list);
    let running = this.listing.get(list);
    if (!running && (at === undefined || at + LIST_RETRY_MS <= this.now())) {
      running = this.readList(list).finally(() => this.listing.delete(list));
      this.listing.set(list, running);
    }
    // A list on its way answers this id too (or not): wait for it rather than ask for the id.
    if (running) await running.catch(() => undefined);
    if (this.cache.get(key) !== undefined) return;
    // Not in the list: a project outside what the account lists, a person made since.
    const row = await this.get(`${LIST_ROUTE[list]}/${id}`);
    if (row && typeof row === 'object') this.store(list, row as Row);
  }

  private async readList(list: ListName): Promise<void> {
    this.listedAt.set(list, this.now());
    // A list names every id of its kind at once: it goes before the look-ups of single ids.
    const rows = await this.get(LIST_ROUTE[list], true);
    if (Array.isArray(rows)) for (const row of rows) if (row && typeof row === 'object') this.store(list, row as Row);
  }

  private store(list: ListName, row: Row): void {
    const id = lower(row.id);
    if (!id) return;
    const name =
      list === 'persons'
        ? personName(row)
        : list === 'task-status'
          ? (str(row.short_name) ?? str(row.name))
          : str(row.name);
    if (name) this.cache.set(`${listKind(list)}:${id}`, { k: listKind(list), name } as CacheEntry);
  }

  private putNamed(
    k: 'project' | 'person' | 'task_type' | 'asset_type' | 'status',
    row: unknown,
    nameOf: (row: Row) => string | undefined,
  ): void {
    if (!row || typeof row !== 'object') return;
    const id = lower((row as Row).id);
    const name = nameOf(row as Row);
    if (id && name) this.cache.set(`${k}:${id}`, { k, name });
  }

  private putEntity(row: unknown, kindName?: string): void {
    if (!row || typeof row !== 'object') return;
    const r = row as Row;
    const id = lower(r.id);
    const name = str(r.name);
    if (!id || !name) return;
    const kind = kindName ?? str(r.type) ?? 'Entity';
    this.cache.setIn('entity', id, {
      k: 'entity',
      name,
      kind,
      parent_id: lower(r.parent_id) ?? null,
      project_id: lower(r.project_id) ?? null,
      ...(kind === 'Asset' && lower(r.entity_type_id) ? { asset_type_id: lower(r.entity_type_id)! } : {}),
    });
  }

  /** `data/tasks/<id>/full`: the task, its entity and parents, type, status and project in one. */
  private async fetchTask(id: string): Promise<void> {
    const full = (await this.get(`data/tasks/${id}/full`)) as Row;
    if (!full || typeof full !== 'object') return;
    const entityType = full.entity_type as Row | undefined;
    const typeName = str(entityType?.name);
    // An asset's entity type is its asset type; shots, sequences… have their own type names.
    // The entity comes as a plain `Entity` row: its kind is its entity type's name, and any
    // type that is not one of Zou's shot-side or special types is an asset type.
    const entityKind = typeName && NON_ASSET_TYPES.has(typeName) ? typeName : 'Asset';
    this.putEntity(full.entity, entityKind);
    if (entityKind === 'Asset') this.putNamed('asset_type', entityType, (r) => str(r.name));
    if (full.sequence && (full.sequence as Row).id !== (full.entity as Row | undefined)?.id)
      this.putEntity(full.sequence, 'Sequence');
    if (full.episode) this.putEntity(full.episode, 'Episode');
    this.putNamed('task_type', full.task_type, (r) => str(r.name));
    this.putNamed('status', full.task_status, (r) => str(r.short_name) ?? str(r.name));
    this.putNamed('project', full.project, (r) => str(r.name));
    for (const person of [...(Array.isArray(full.persons) ? full.persons : []), full.assigner])
      this.putNamed('person', person, personName);
    const entityId = lower(full.entity_id);
    const taskTypeId = lower(full.task_type_id);
    if (!entityId || !taskTypeId) return;
    this.cache.setIn('task', id, {
      k: 'task',
      entity_id: entityId,
      task_type_id: taskTypeId,
      project_id: lower(full.project_id) ?? null,
      ...(lower(full.task_status_id) ? { task_status_id: lower(full.task_status_id)! } : {}),
    });
  }

  /** An entity by its typed route (names of parents included), else the generic one. */
  private async fetchEntity(id: string, hint: EntityKindKey | undefined): Promise<void> {
    const route = hint ? KIND_ROUTE[hint] : undefined;
    if (!route) {
      const row = (await this.get(`data/entities/${id}`)) as Row;
      if (!row || typeof row !== 'object') return;
      const typeId = lower(row.entity_type_id);
      let kind = hint ? KIND_NAME[hint] : undefined;
      if (!kind && typeId) {
        await this.once(`entity_type:${typeId}`, () => this.fetchEntityType(typeId));
        const type = this.cache.getIn('entity_type', typeId);
        if (type?.k === 'entity_type') kind = type.asset ? 'Asset' : type.name;
      }
      this.putEntity(row, kind);
      return;
    }
    const row = (await this.get(`${route}/${id}`)) as Row;
    if (!row || typeof row !== 'object') return;
    const kind = KIND_NAME[hint!];
    this.putEntity(row, kind);
    // Zou's full routes name the parents (assets_service.get_full_asset, shots_service.get_full_shot/sequence).
    if (kind === 'Asset') {
      const typeId = lower(row.asset_type_id) ?? lower(row.entity_type_id);
      if (typeId && str(row.asset_type_name))
        this.cache.setIn('asset_type', typeId, { k: 'asset_type', name: str(row.asset_type_name)! });
    }
    const episodeId = lower(row.episode_id);
    if (kind === 'Shot' && lower(row.sequence_id) && str(row.sequence_name)) {
      this.cache.setIn('entity', lower(row.sequence_id)!, {
        k: 'entity',
        name: str(row.sequence_name)!,
        kind: 'Sequence',
        parent_id: episodeId ?? null,
        project_id: lower(row.project_id) ?? null,
      });
    }
    if ((kind === 'Shot' || kind === 'Sequence') && episodeId && str(row.episode_name)) {
      this.cache.setIn('entity', episodeId, {
        k: 'entity',
        name: str(row.episode_name)!,
        kind: 'Episode',
        parent_id: null,
        project_id: lower(row.project_id) ?? null,
      });
    }
    if (str(row.project_name) && lower(row.project_id))
      this.cache.setIn('project', lower(row.project_id)!, { k: 'project', name: str(row.project_name)! });
    // get_full_asset and get_full_shot list the entity's tasks: their task:new events then
    // need no look-up of their own.
    if (Array.isArray(row.tasks)) {
      for (const task of row.tasks as Row[]) {
        const taskId = lower(task?.id);
        const taskTypeId = lower(task?.task_type_id);
        if (!taskId || !taskTypeId || this.cache.getIn('task', taskId)) continue;
        this.cache.setIn('task', taskId, {
          k: 'task',
          entity_id: id,
          task_type_id: taskTypeId,
          project_id: lower(row.project_id) ?? null,
          ...(lower(task.task_status_id) ? { task_status_id: lower(task.task_status_id)! } : {}),
        });
      }
    }
  }

  private async fetchEntityType(id: string): Promise<void> {
    const row = (await this.get(`data/entity-types/${id}`)) as Row;
    if (!row || typeof row !== 'object' || !str(row.name)) return;
    const asset = row.type === 'AssetType';
    if (asset) this.cache.setIn('asset_type', id, { k: 'asset_type', name: str(row.name)! });
    this.cache.setIn('entity_type', id, { k: 'entity_type', name: str(row.name)!, asset });
  }

  private async fetchAssetType(id: string): Promise<void> {
    this.putNamed('asset_type', await this.get(`data/entity-types/${id}`), (r) => str(r.name));
  }

  /**
   * A comment or preview named alone (preview-file:new) is usually named with its task by
   * the very next event (preview-file:add-file, comment:new): give that event a moment to say
   * it before asking the server.
   */
  private async learnedSoon(key: string): Promise<boolean> {
    // Ref'd, as within()'s: a command waiting on this look-up must not exit under it.
    await new Promise((resolve) => setTimeout(resolve, LEARN_WAIT_MS));
    return this.cache.get(key) !== undefined;
  }

  private async fetchComment(id: string): Promise<void> {
    if (await this.learnedSoon(`comment:${id}`)) return;
    const row = (await this.get(`data/comments/${id}`)) as Row;
    const task = lower(row?.object_id);
    if (task) this.cache.setIn('comment', id, { k: 'comment', task_id: task });
  }

  private async fetchPreview(id: string): Promise<void> {
    if (await this.learnedSoon(`preview:${id}`)) return;
    const row = (await this.get(`data/preview-files/${id}`)) as Row;
    const task = lower(row?.task_id);
    if (task) this.cache.setIn('preview', id, { k: 'preview', task_id: task });
  }

  // ---- names from what is known ----

  /**
   * The resolution when nothing it needs is missing from the cache, else undefined: one pass
   * over the keys the names are built from (pending() is only asked when some key is absent,
   * to tell a look-up still to make from one that failed lately).
   */
  private known(refs: EventRefs): Resolution | undefined {
    const resolution = this.build(refs, true);
    if (!this.missing) return resolution;
    return this.pending(refs).length === 0 ? resolution : undefined;
  }

  /** Set by build() when a key it read is not in the cache (a look-up may be needed). */
  private missing = false;

  /** A cache entry build() reads; an absent one marks the build as missing something. */
  private entry(kind: string, id: string): CacheEntry | undefined {
    const entry = this.cache.getIn(kind, id);
    if (entry === undefined) this.missing = true;
    return entry;
  }

  private named(kind: string, id: string): string | undefined {
    const entry = this.entry(kind, id);
    return entry && 'name' in entry ? entry.name : undefined;
  }

  /** The name, else the short id, marked when the server said it is gone. */
  private label(kind: string, id: string): string {
    const entry = this.entry(kind, id);
    if (entry && 'name' in entry) return entry.name;
    return entry?.k === 'gone' ? `${shortId(id)} (deleted)` : shortId(id);
  }

  /**
   * Entity paths built from known entries only, by entity id: the same shot's path is the
   * same frozen object for every event about it. Forgotten, with the kept JSON fields, when
   * an entry they may be made of changes or expires (NameCache.onChange), and once a minute
   * in any case.
   */
  private readonly paths = new Map<string, EntityPath>();
  /** Fields of the names' JSON (`,"person":"Jane Doe"`), by key then id, for keptJson(). */
  private readonly fields = Object.fromEntries(
    Object.keys(KEPT_FIELDS).map((key) => [key, new Map<string, string>()]),
  ) as Record<KeptField, Map<string, string>>;
  private keptClearedAt = 0;

  /** Forgets the kept paths and JSON strings: they are built afresh from the cache. */
  private forgetKept(): void {
    this.paths.clear();
    for (const kept of Object.values(this.fields)) kept.clear();
    this.keptClearedAt = this.now();
    // Kept texts read no entry: the cache's clock may be long behind.
    this.cache.refreshClock();
  }

  /** Once a minute the kept texts go, so that an entry that expired behind them is noticed. */
  private forgetKeptWhenOld(): void {
    if (this.now() - this.keptClearedAt > KEPT_MS) this.forgetKept();
  }

  /** `E01 / SQ010 / SH010` or `Character / Fox`, and the entity ids outward. */
  private entityPath(id: string): EntityPath {
    const kept = this.paths.get(id);
    if (kept) return kept;
    const missingBefore = this.missing;
    this.missing = false;
    const parts: string[] = [];
    const ids: string[] = [];
    let kind: string | undefined;
    let assetType: string | undefined;
    let current: string | null = id;
    for (let depth = 0; current && depth < 4; depth += 1) {
      ids.push(current);
      const entry = this.cache.getIn('entity', current);
      if (entry?.k !== 'entity') {
        parts.unshift(this.label('entity', current));
        break;
      }
      kind ??= entry.kind;
      parts.unshift(entry.name);
      if (entry.asset_type_id) {
        assetType = this.named('asset_type', entry.asset_type_id);
        if (depth === 0) parts.unshift(assetType ?? shortId(entry.asset_type_id));
      }
      current = entry.parent_id;
    }
    const text = parts.join(' / ');
    const path: EntityPath = Object.freeze({
      path: text,
      ids: Object.freeze(ids),
      ...(kind ? { kind } : {}),
      ...(assetType ? { assetType } : {}),
      // The keys in build()'s order.
      json: flat(
        `,"entity":${JSON.stringify(text)}`,
        kind ? `,"entity_type":${JSON.stringify(kind)}` : '',
        assetType ? `,"asset_type":${JSON.stringify(assetType)}` : '',
      ),
      withTaskType: new Map<string, string>(),
    });
    // Only what is wholly known is kept: a short id stands until its look-up answers.
    if (!this.missing) this.paths.set(id, path);
    this.missing ||= missingBefore;
    return path;
  }

  /** A field of the names' JSON (`,"person":"Jane Doe"`), kept; undefined when the cache has no name for the id. */
  private field(key: KeptField, id: string): string | undefined {
    const kept = this.fields[key];
    let text = kept.get(id);
    if (text === undefined) {
      const entry = this.cache.getIn(KEPT_FIELDS[key], id);
      if (entry === undefined || !('name' in entry)) return undefined;
      text = flat(`,"${key}":`, JSON.stringify(entry.name));
      kept.set(id, text);
    }
    return text;
  }

  /**
   * `JSON.stringify(build(refs, true).names)`, the same bytes, written from kept texts when
   * every name it needs is known as a name (no short id, no missing entry); else undefined,
   * and build() is asked. It reads what build() reads, so that it answers only where build()
   * would find nothing missing. Serializing each event's names object was most of what
   * --names cost a JSON stream.
   */
  private keptJson(refs: EventRefs): string | undefined {
    this.forgetKeptWhenOld();
    let json = '{';
    let text: string | undefined;
    if (refs.project_id) {
      if ((text = this.field('project', refs.project_id)) === undefined) return undefined;
      json = withField(json, text);
    }
    const person = refs.actor_id ?? refs.person_id;
    if (person) {
      if ((text = this.field('person', person)) === undefined) return undefined;
      json = withField(json, text);
      // build() reads the person of person:* events too, when an actor is named.
      if (refs.actor_id && refs.person_id && this.field('person', refs.person_id) === undefined) return undefined;
    }
    if (refs.assignee_id) {
      if ((text = this.field('assignee', refs.assignee_id)) === undefined) return undefined;
      json = withField(json, text);
    }
    const taskId = this.taskOf(refs);
    // A comment or preview whose task is not known yet: build() tells a look-up from a failure.
    if (!taskId && (refs.comment_id || refs.preview_file_id)) return undefined;
    let entityId = refs.entity_id;
    let taskTypeId = refs.task_type_id;
    if (taskId) {
      const task = this.cache.getIn('task', taskId);
      if (task?.k !== 'task') return undefined;
      entityId = task.entity_id;
      taskTypeId = task.task_type_id;
    }
    const path = entityId ? (this.paths.get(entityId) ?? this.entityPath(entityId)) : undefined;
    // Only a wholly known path is kept (entityPath()).
    if (entityId && this.paths.get(entityId) !== path) return undefined;
    if (path && taskTypeId && !refs.asset_type_id) {
      // A task's usual case: its entity and type in one kept piece.
      if ((text = path.withTaskType.get(taskTypeId)) === undefined) {
        const taskType = this.field('task_type', taskTypeId);
        if (taskType === undefined) return undefined;
        path.withTaskType.set(taskTypeId, (text = flat(path.json, taskType)));
      }
      json = withField(json, text);
    } else {
      if (path) json = withField(json, path.json);
      if (refs.asset_type_id) {
        if ((text = this.field('asset_type', refs.asset_type_id)) === undefined) return undefined;
        if (path?.assetType === undefined) json = withField(json, text);
      }
      if (taskTypeId) {
        if ((text = this.field('task_type', taskTypeId)) === undefined) return undefined;
        json = withField(json, text);
      }
    }
    if (refs.task_status_id) {
      if ((text = this.field('task_status', refs.task_status_id)) === undefined) return undefined;
      json = withField(json, text);
    }
    if (refs.previous_task_status_id) {
      if ((text = this.field('previous_task_status', refs.previous_task_status_id)) === undefined) return undefined;
      json = withField(json, text);
    }
    return `${json}}`;
  }

  private build(refs: EventRefs, complete: boolean): Resolution {
    this.missing = false;
    this.forgetKeptWhenOld();
    // Every key, in the order JSON shows them, absent ones undefined (JSON leaves them out): one
    // shape of object for every event's names, whose readers then stay monomorphic.
    const names: EventNames = {
      project: undefined,
      person: undefined,
      assignee: undefined,
      entity: undefined,
      entity_type: undefined,
      asset_type: undefined,
      task_type: undefined,
      task_status: undefined,
      previous_task_status: undefined,
    };
    const subject: EventSubject = {
      project_id: undefined,
      task_id: undefined,
      entity_ids: NO_IDS,
      task_type_id: undefined,
      task_status_id: undefined,
      current_task_status_id: undefined,
    };
    if (refs.project_id) {
      subject.project_id = refs.project_id;
      names.project = this.label('project', refs.project_id);
    }
    if (refs.actor_id) {
      names.person = this.label('person', refs.actor_id);
      // Not named, but looked up all the same (pending()): missing it is missing something.
      if (refs.person_id) this.entry('person', refs.person_id);
    } else if (refs.person_id) names.person = this.label('person', refs.person_id);
    if (refs.assignee_id) names.assignee = this.label('person', refs.assignee_id);
    const taskId = this.taskOf(refs);
    if (!taskId) {
      if (refs.comment_id) this.entry('comment', refs.comment_id);
      else if (refs.preview_file_id) this.entry('preview', refs.preview_file_id);
    }
    let entityId = refs.entity_id;
    let taskTypeId = refs.task_type_id;
    if (taskId) {
      subject.task_id = taskId;
      const task = this.entry('task', taskId);
      if (task?.k === 'task') {
        entityId = task.entity_id;
        taskTypeId = task.task_type_id;
        if (task.task_status_id) subject.current_task_status_id = task.task_status_id;
      } else if (!entityId) {
        // Without the task, the short task id stands for what it is about.
        names.entity = `${shortId(taskId)}${task?.k === 'gone' ? ' (deleted)' : ''}`;
      }
    }
    if (entityId) {
      const { path, ids, kind, assetType } = this.entityPath(entityId);
      names.entity = path;
      subject.entity_ids = ids as string[];
      if (kind) names.entity_type = kind;
      if (assetType) names.asset_type = assetType;
    }
    if (refs.asset_type_id) {
      const label = this.label('asset_type', refs.asset_type_id);
      names.asset_type ??= label;
    }
    if (taskTypeId) {
      subject.task_type_id = taskTypeId;
      names.task_type = this.label('task_type', taskTypeId);
    }
    if (refs.task_status_id) {
      subject.task_status_id = refs.task_status_id;
      names.task_status = this.label('status', refs.task_status_id);
    }
    if (refs.previous_task_status_id) names.previous_task_status = this.label('status', refs.previous_task_status_id);
    return { names, subject, complete };
  }

  // ---- for the filters ----

  async taskTypes(): Promise<NamedRow[]> {
    const rows = await this.get(LIST_ROUTE['task-types']);
    if (!Array.isArray(rows)) return [];
    return rows.flatMap((r: Row) => (lower(r?.id) && str(r.name) ? [{ id: lower(r.id)!, name: str(r.name)! }] : []));
  }

  async taskStatuses(): Promise<(NamedRow & { long_name: string })[]> {
    const rows = await this.get(LIST_ROUTE['task-status']);
    if (!Array.isArray(rows)) return [];
    return rows.flatMap((r: Row) => {
      const id = lower(r?.id);
      const name = str(r.short_name) ?? str(r.name);
      return id && name ? [{ id, name, long_name: str(r.name) ?? name }] : [];
    });
  }

  async entities(projectIds?: readonly string[]): Promise<EntityInfo[]> {
    await this.loaded;
    let projects = projectIds ? [...projectIds] : undefined;
    if (!projects) {
      const rows = await this.get('data/projects');
      projects = Array.isArray(rows) ? rows.flatMap((r: Row) => (lower(r?.id) ? [lower(r.id)!] : [])) : [];
      if (Array.isArray(rows)) for (const row of rows) this.store('projects', row as Row);
    }
    const found: string[] = [];
    const kinds: [string, string][] = [
      ['episodes', 'Episode'],
      ['sequences', 'Sequence'],
      ['shots', 'Shot'],
      ['assets', 'Asset'],
    ];
    await Promise.all(
      projects.flatMap((projectId) =>
        kinds.map(async ([route, kind]) => {
          let rows: unknown;
          try {
            rows = await this.get(`data/projects/${projectId}/${route}`);
          } catch (error) {
            if (error instanceof PermissionError || isNotFound(error)) return;
            throw error;
          }
          if (!Array.isArray(rows)) return;
          for (const row of rows as Row[]) {
            this.putEntity(row, kind);
            if (kind === 'Asset' && lower(row.asset_type_id) && str(row.asset_type_name)) {
              this.cache.setIn('asset_type', lower(row.asset_type_id)!, {
                k: 'asset_type',
                name: str(row.asset_type_name)!,
              });
            }
            const id = lower(row.id);
            if (id) found.push(id);
          }
        }),
      ),
    );
    const missingTypes = new Set<string>();
    for (const id of found) {
      const e = this.cache.getIn('entity', id);
      if (e?.k === 'entity' && e.asset_type_id && !this.cache.getIn('asset_type', e.asset_type_id))
        missingTypes.add(e.asset_type_id);
    }
    await Promise.all([...missingTypes].map((t) => this.once(`asset_type:${t}`, () => this.fetchAssetType(t))));
    return found.flatMap((id) => {
      const e = this.cache.getIn('entity', id);
      if (e?.k !== 'entity') return [];
      return [
        {
          id,
          name: e.name,
          kind: e.kind,
          path: this.entityPath(id).path,
          project_id: e.project_id,
          parent_id: e.parent_id,
        },
      ];
    });
  }
}

function listKind(list: ListName): 'project' | 'person' | 'task_type' | 'status' {
  return list === 'projects'
    ? 'project'
    : list === 'persons'
      ? 'person'
      : list === 'task-types'
        ? 'task_type'
        : 'status';
}

/**
 * The disk cache of a profile: under the config folder's `cache/`, one file a profile and
 * server (a profile logged in again elsewhere starts afresh).
 */
export function nameCacheFile(configDirectory: string, profileName: string, apiUrl: string): string {
  const server = createHash('sha256').update(apiUrl).digest('hex').slice(0, 8);
  return join(configDirectory, 'cache', `names-${encodeURIComponent(profileName)}-${server}.json`);
}
