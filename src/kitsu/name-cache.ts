/**
 * What the name resolver learned about the production, kept in memory and in one JSON file a
 * profile, so that a one-shot command does not ask again what the last one learned. Every
 * entry expires after a time-to-live; a file that is missing, unreadable or of another
 * version is an empty cache, never an error (it is only a cache).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What is known about one id. `gone`: the server answered 404 (deleted). */
export type CacheEntry =
  | { k: 'project' | 'person' | 'task_type' | 'asset_type' | 'status'; name: string }
  | {
      k: 'entity';
      name: string;
      /** Zou's entity type name for the kind: Asset, Shot, Sequence, Episode, Edit, Concept… */
      kind: string;
      parent_id: string | null;
      project_id: string | null;
      /** For an asset: its asset type. */
      asset_type_id?: string;
      /** Deleted since we learned its name (asset:delete). */
      deleted?: boolean;
    }
  | {
      k: 'task';
      entity_id: string;
      task_type_id: string;
      project_id: string | null;
      task_status_id?: string;
      deleted?: boolean;
    }
  | { k: 'comment' | 'preview'; task_id: string }
  /** Any entity type; `asset`: it is an asset type (Character), not Shot, Sequence… */
  | { k: 'entity_type'; name: string; asset: boolean }
  | { k: 'gone' };

interface Stored {
  v: CacheEntry;
  /** Expiry, ms since the epoch. */
  t: number;
}

const FILE_VERSION = 1;

/** Entries are flat: the same keys with the same values are the same entry. */
function sameEntry(a: CacheEntry, b: CacheEntry): boolean {
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  for (const key of keysA)
    if ((a as Record<string, unknown>)[key] !== (b as Record<string, unknown>)[key]) return false;
  return true;
}

export class NameCache {
  /**
   * By kind (`task`, `entity`…), then id: the resolver reads a dozen entries an event, and an
   * id from the event is hashed once for all of them, where `task:<id>` would be a new string
   * to hash at every read. The file keeps `<kind>:<id>` keys.
   */
  private readonly kinds = new Map<string, Map<string, Stored>>();
  private dirty = false;
  /**
   * Told when what a key says changed or went (an overwrite with other values, an expiry),
   * not when a key is learned for the first time: names built from known keys stay true
   * until then, so a resolver may keep them.
   */
  onChange: ((key: string) => void) | undefined;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** `<kind>:<id>`. */
  get(key: string): CacheEntry | undefined {
    const colon = key.indexOf(':');
    return this.getIn(key.slice(0, colon), key.slice(colon + 1));
  }

  getIn(kind: string, id: string): CacheEntry | undefined {
    const ids = this.kinds.get(kind);
    const stored = ids?.get(id);
    if (!stored) return undefined;
    // Entries live for hours: a clock a few dozen gets old is as good.
    if (stored.t <= this.coarseNow()) {
      ids!.delete(id);
      this.onChange?.(`${kind}:${id}`);
      return undefined;
    }
    return stored.v;
  }

  /** `<kind>:<id>`. */
  set(key: string, value: CacheEntry): void {
    const colon = key.indexOf(':');
    this.setIn(key.slice(0, colon), key.slice(colon + 1), value);
  }

  setIn(kind: string, id: string, value: CacheEntry): void {
    const ids = this.idsOf(kind);
    const before = ids.get(id);
    ids.set(id, { v: value, t: this.now() + this.ttlMs });
    this.dirty = true;
    if (before && !sameEntry(before.v, value)) this.onChange?.(`${kind}:${id}`);
  }

  private idsOf(kind: string): Map<string, Stored> {
    let ids = this.kinds.get(kind);
    if (!ids) this.kinds.set(kind, (ids = new Map()));
    return ids;
  }

  private clockMs = 0;
  private getsSinceClock = Infinity;

  /** Reads the clock afresh at the next get (a caller that reads few keys for a while). */
  refreshClock(): void {
    this.getsSinceClock = Infinity;
  }

  /** The time, read afresh every 64 gets: a get is on every event's path. */
  private coarseNow(): number {
    if (this.getsSinceClock >= 64) {
      this.clockMs = this.now();
      this.getsSinceClock = 0;
    }
    this.getsSinceClock += 1;
    return this.clockMs;
  }

  get size(): number {
    let size = 0;
    for (const ids of this.kinds.values()) size += ids.size;
    return size;
  }

  /** Loads the file's unexpired entries under what is already known. */
  async load(file: string): Promise<void> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return;
    }
    try {
      const parsed = JSON.parse(text) as { version?: unknown; entries?: unknown };
      if (parsed.version !== FILE_VERSION || !parsed.entries || typeof parsed.entries !== 'object') return;
      const now = this.now();
      for (const [key, stored] of Object.entries(parsed.entries as Record<string, Stored>)) {
        if (
          stored &&
          typeof stored.t === 'number' &&
          stored.t > now &&
          stored.v &&
          typeof stored.v === 'object' &&
          key.includes(':')
        ) {
          const colon = key.indexOf(':');
          const ids = this.idsOf(key.slice(0, colon));
          if (!ids.has(key.slice(colon + 1))) ids.set(key.slice(colon + 1), stored);
        }
      }
    } catch {
      // A half-written or foreign file: start afresh, the next save replaces it.
    }
  }

  /** Writes the unexpired entries when something changed: a temporary file, then a rename. */
  async save(file: string): Promise<void> {
    if (!this.dirty) return;
    const now = this.now();
    const entries: Record<string, Stored> = {};
    for (const [kind, ids] of this.kinds)
      for (const [id, stored] of ids) if (stored.t > now) entries[`${kind}:${id}`] = stored;
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify({ version: FILE_VERSION, entries }), { mode: 0o600 });
    await rename(temporary, file);
    this.dirty = false;
  }
}
