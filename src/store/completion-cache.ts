/**
 * What shell completion offers beyond the program's own words: the names of a profile's
 * projects and the event names its server's log holds, as commands that fetched them anyway
 * (login, and `logs`/`listen` when they load the projects) last saw them: one small JSON file a
 * profile, completion/<profile>.json in the config folder. Completion only reads it (a TAB
 * never touches the network); a missing, damaged or foreign file is no names, never an error,
 * and writing it never fails a command. Only node:fs here: `kitsu-tail __complete` loads this and must start fast.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { configDir } from './paths.js';

const FILE_VERSION = 1;
/** More than any studio has; keeps a TAB's read small. */
const MAX_NAMES = 5_000;

export interface CompletionNames {
  projects?: string[];
  /** Event names the server's log holds. */
  events?: string[];
}

interface CacheFile {
  v: number;
  /** The API the names came from: a profile logged in again to another server starts empty. */
  api_url: string;
  projects?: string[];
  events?: string[];
}

export function completionCacheFile(configDirectory: string, profileName: string): string {
  // A folder of its own: the names resolver's cache files (cache/) are another module's.
  return join(configDirectory, 'completion', `${encodeURIComponent(profileName)}.json`);
}

function readCache(file: string): CacheFile | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<CacheFile>;
    return parsed.v === FILE_VERSION && typeof parsed.api_url === 'string' ? (parsed as CacheFile) : null;
  } catch {
    return null;
  }
}

const strings = (list: unknown): string[] =>
  Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : [];

/** The names saved for the profile on `apiUrl`; empty when there are none. */
export function readCompletionNames(configDirectory: string, profileName: string, apiUrl: string): CompletionNames {
  const cache = readCache(completionCacheFile(configDirectory, profileName));
  if (!cache || cache.api_url !== apiUrl) return {};
  return { projects: strings(cache.projects), events: strings(cache.events) };
}

/**
 * Saves `names` for the profile (each list given replaces the saved one), atomically, mode
 * 0600 (project names are the studio's business). Never throws: it is only a cache.
 */
export async function rememberCompletionNames(
  env: Record<string, string | undefined>,
  profileName: string,
  apiUrl: string,
  names: CompletionNames,
): Promise<void> {
  const file = completionCacheFile(configDir(env), profileName);
  try {
    const old = readCache(file);
    const next: CacheFile = old && old.api_url === apiUrl ? { ...old } : { v: FILE_VERSION, api_url: apiUrl };
    const clean = (list: string[]) =>
      [...new Set(list.filter((n) => n !== '' && !/[\n\r]/.test(n)))].slice(0, MAX_NAMES);
    if (names.projects) next.projects = clean(names.projects).sort();
    if (names.events) next.events = clean(names.events).sort();
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(next), { mode: 0o600 });
    await rename(temporary, file);
  } catch {
    // A read-only config folder costs the completion its names, nothing else.
  }
}
