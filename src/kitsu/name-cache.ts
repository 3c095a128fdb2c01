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

export class NameCache {
  private readonly entries = new Map<string, Stored>();
  private dirty = false;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get(key: string): CacheEntry | undefined {
    const stored = this.entries.get(key);
    if (!stored) return undefined;
    // Entries live for hours: a clock a few dozen gets old is as good.
    if (stored.t <= this.coarseNow()) {
      this.entries.delete(key);
      return undefined;
    }
    return stored.v;
  }

  set(key: string, value: CacheEntry): void {
    this.entries.set(key, { v: value, t: this.now() + this.ttlMs });
    this.dirty = true;
  }

  private clockMs = 0;
  private getsSinceClock = Infinity;

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
    return this.entries.size;
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
          !this.entries.has(key)
        ) {
          this.entries.set(key, stored);
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
    for (const [key, stored] of this.entries) if (stored.t > now) entries[key] = stored;
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify({ version: FILE_VERSION, entries }), { mode: 0o600 });
    await rename(temporary, file);
    this.dirty = false;
  }
}
