/**
 * Saved logins ("profiles") on conf: one JSON file, mode 0600, in a folder of mode 0700, that
 * keeps host, event host, user, server version and tokens, never a password. Every change
 * happens under a lock file, on a fresh read of the file, and is written by conf's atomic
 * write-to-temp-then-rename, so concurrent kitsu-tail processes never lose each other's
 * changes or see half a file.
 */
import { chmod, lstat, mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AuthError, CliError, ExitCode, UsageError } from '../errors.js';
import { redactor } from '../core/redact.js';
import type { SessionUser } from '../kitsu/types.js';
import { withFileLock } from './lock.js';
import { CONFIG_FILE_NAME, configDir } from './paths.js';

export interface StoredProfile {
  /** Site root: `https://kitsu.studio.com` or `https://studio.com/kitsu`. */
  host: string;
  apiUrl: string;
  eventUrl: string;
  socketPath: string;
  user: SessionUser | null;
  serverVersion: string;
  /** ISO time `serverVersion` was last read from the server; absent in profiles saved by 0.1. */
  serverCheckedAt?: string;
  accessToken: string;
  /** Absent for a bot or API token, which cannot be renewed. */
  refreshToken?: string;
  bot: boolean;
  /** ISO time of the login. */
  loggedInAt: string;
  /** The absolute path of the `--ca-file` given at login; later commands trust it too. */
  caFile?: string;
  /** The login was made with `--insecure`; later commands skip the check too, and warn. */
  insecure?: boolean;
}

export interface StoreData {
  defaultProfile?: string;
  profiles: Record<string, StoredProfile>;
}

export interface ProfileStore {
  /** The config file. */
  readonly path: string;
  /** The store as it is on disk now. */
  read(): StoreData;
  /**
   * Change the store under the lock: `change` gets a fresh read, modifies it in place, and
   * what it leaves is written atomically (when it differs). Returns what `change` returns.
   */
  update<T>(change: (data: StoreData) => T | Promise<T>): Promise<T>;
}

export const DEFAULT_PROFILE = 'default';
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw new UsageError(
      `profile name ${JSON.stringify(name)} is not allowed`,
      'use letters, digits, dots, dashes and underscores, such as "studio" or "prod-bot"',
    );
  }
  return name;
}

/** The profile a command means: --profile, then KITSU_PROFILE, then the default one. */
export function chosenProfileName(
  data: StoreData,
  flag: string | undefined,
  env: Record<string, string | undefined>,
): string {
  const named = flag ?? env.KITSU_PROFILE;
  if (named) return checkProfileName(named);
  return data.defaultProfile ?? DEFAULT_PROFILE;
}

/** Whether the profile was named on purpose (flag or environment) rather than by default. */
export function profileNamedExplicitly(flag: string | undefined, env: Record<string, string | undefined>): boolean {
  return Boolean(flag ?? env.KITSU_PROFILE);
}

function registerSecrets(data: StoreData): void {
  for (const profile of Object.values(data.profiles)) {
    redactor.add(profile.accessToken);
    redactor.add(profile.refreshToken);
  }
}

function damaged(path: string, detail: string): AuthError {
  return new AuthError(`the config file ${path} is damaged (${detail})`, 'delete it and run `kitsu-tail login` again');
}

/**
 * Why the file could not be read, in words that never quote it: JSON.parse's message shows
 * the text around the fault, which would print part of whatever file the path leads to.
 */
function readFailure(error: unknown): string {
  if (error instanceof SyntaxError) return 'it is not valid JSON';
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code ? `it cannot be read: ${code}` : 'it cannot be read';
}

/**
 * The config file must be a regular file of ours. A link there could have been planted by
 * another user while the folder was loose: following it would chmod and read (and show in an
 * error) whatever file it names. Checked before anything touches the file.
 */
async function checkConfigFile(path: string): Promise<void> {
  const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (!info) return;
  const refuse = (what: string) =>
    new CliError(
      `the config file ${path} ${what}, so kitsu-tail will not use it`,
      ExitCode.failure,
      'remove it (it may have been put there by someone else) and run `kitsu-tail login` again',
    );
  if (info.isSymbolicLink()) throw refuse('is a symbolic link');
  if (!info.isFile()) throw refuse('is not a regular file');
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) throw refuse(`belongs to another user (uid ${info.uid})`);
}

/**
 * `mkdir -p` that gives up. Node 20's recursive mkdir loops for ever, at full CPU and deaf to
 * signals, when a folder cannot be created inside a parent that exists (/proc/nope: ENOENT
 * although /proc is there); this makes each missing level once and fails on the first refusal.
 */
async function makeFolder(dir: string, mode: number): Promise<void> {
  try {
    await mkdir(dir, { mode });
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'EEXIST') {
      if ((await stat(dir)).isDirectory()) return;
      throw Object.assign(new Error(`not a folder: ${dir}`), { code: 'ENOTDIR', syscall: 'mkdir' });
    }
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw error;
    await makeFolder(parent, mode);
    await mkdir(dir, { mode });
  }
}

function parseStore(raw: Record<string, unknown>, path: string): StoreData {
  const profiles = raw.profiles ?? {};
  if (typeof profiles !== 'object' || profiles === null || Array.isArray(profiles)) {
    throw damaged(path, '"profiles" is not an object');
  }
  for (const [name, profile] of Object.entries(profiles as Record<string, unknown>)) {
    const p = profile as Partial<StoredProfile> | null;
    if (!p || typeof p.apiUrl !== 'string' || typeof p.accessToken !== 'string' || typeof p.host !== 'string') {
      throw damaged(path, `profile "${name}" lacks its host or token`);
    }
  }
  const defaultProfile = typeof raw.defaultProfile === 'string' ? raw.defaultProfile : undefined;
  return { defaultProfile, profiles: { ...(profiles as Record<string, StoredProfile>) } };
}

/** Tighten modes that were looser before (a folder made by hand, an old file copied in). */
async function tighten(path: string, mode: number): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (info && (info.mode & 0o777) !== mode) await chmod(path, mode);
}

/** A file-system failure of the config folder, said as such rather than as a crash. */
function unusableFolder(dir: string, error: unknown, env: Record<string, string | undefined>): unknown {
  const { code, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  if (error instanceof CliError || !syscall) return error;
  const reason =
    code === 'EEXIST' || code === 'ENOTDIR'
      ? 'a file is in the way'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EROFS'
          ? 'the file system is read-only'
          : code === 'ENOENT'
            ? 'it cannot be created there'
            : (error as Error).message;
  const message = `cannot use the config folder ${dir} (${reason})`;
  return env.KITSU_TAIL_CONFIG_DIR
    ? new UsageError(message, 'point KITSU_TAIL_CONFIG_DIR at a folder you can write')
    : new CliError(message, ExitCode.failure, 'make that folder writable, or set KITSU_TAIL_CONFIG_DIR to another one');
}

export async function openStore(env: Record<string, string | undefined>): Promise<ProfileStore> {
  const dir = configDir(env);
  const path = join(dir, CONFIG_FILE_NAME);
  try {
    await makeFolder(dir, 0o700);
    await tighten(dir, 0o700);
  } catch (error) {
    throw unusableFolder(dir, error, env);
  }
  await checkConfigFile(path);
  try {
    await tighten(path, 0o600);
  } catch (error) {
    throw unusableFolder(dir, error, env);
  }
  const { default: Conf } = await import('conf');
  let conf: InstanceType<typeof Conf<Record<string, unknown>>>;
  try {
    conf = new Conf<Record<string, unknown>>({
      cwd: dir,
      configName: CONFIG_FILE_NAME.replace(/\.json$/, ''),
      configFileMode: 0o600,
      accessPropertiesByDotNotation: false,
    });
  } catch (error) {
    throw damaged(path, readFailure(error));
  }

  const read = (): StoreData => {
    let raw: Record<string, unknown>;
    try {
      raw = conf.store;
    } catch (error) {
      throw damaged(path, readFailure(error));
    }
    const data = parseStore(raw, path);
    registerSecrets(data);
    return data;
  };

  return {
    path,
    read,
    update: (change) =>
      withFileLock(`${path}.lock`, async () => {
        const data = read();
        const before = JSON.stringify(data);
        const result = await change(data);
        registerSecrets(data);
        // Nothing changed (another process had already renewed, say): leave the file alone.
        if (JSON.stringify(data) !== before) {
          conf.store = {
            ...(data.defaultProfile ? { defaultProfile: data.defaultProfile } : {}),
            profiles: data.profiles,
          };
        }
        return result;
      }).catch((error: unknown) => {
        throw unusableFolder(dir, error, env);
      }),
  };
}

/**
 * Removes a profile; when it was the default, the first remaining one (by name) becomes the
 * default. Returns the name of that new default, if one was chosen.
 */
export function forgetProfile(data: StoreData, name: string): string | undefined {
  delete data.profiles[name];
  if (data.defaultProfile !== name) return undefined;
  const next = Object.keys(data.profiles).sort()[0];
  data.defaultProfile = next;
  return next;
}
