/**
 * The file side of an exactly-once export: the checkpoint replaced atomically, and the
 * output file repaired back to its last committed length before anything is appended.
 *
 * Export files run from cron, often as a service account, in folders others may write to
 * (/tmp, a shared volume): a link planted at the output's or the checkpoint's name must not
 * aim the export at another file, to truncate or overwrite it. So no export file is opened
 * through a link (O_NOFOLLOW), one owned by another account is refused, and the checkpoint's
 * temporary file is created exclusively under a name nobody can guess.
 */
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseCheckpoint, serializeCheckpoint, type CheckpointState } from '../core/checkpoint.js';
import { CliError, ExitCode, UsageError } from '../errors.js';
import { firstLineOf } from '../output/file-target.js';

type Flag = '--checkpoint' | '--output';

/** System errors that mean a path the user gave cannot be used at all. */
const UNUSABLE: Record<string, string> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'part of its path is not a folder',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ELOOP: 'it is a symbolic link, which an export does not follow',
};

/** The first folder on the way to `path` that does not exist, or null. */
async function missingFolder(path: string): Promise<string | null> {
  let missing: string | null = null;
  for (let folder = dirname(path); ; folder = dirname(folder)) {
    if (
      await stat(folder).then(
        () => true,
        () => false,
      )
    )
      return missing;
    missing = folder;
    if (dirname(folder) === folder) return missing;
  }
}

/**
 * Runs `work` on the file that `flag` names, so that a system error says which file and
 * what to do in one line: exit 2 when the path cannot be used at all, else exit 1 (a full
 * disk…), after which the next run starts again from the last commit.
 */
export async function onFile<T>(flag: Flag, path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const { code, syscall } = error as NodeJS.ErrnoException;
    if (typeof code !== 'string' || typeof syscall !== 'string') throw error;
    const missing = code === 'ENOENT' ? await missingFolder(path) : null;
    if (missing)
      throw new UsageError(
        `${flag} ${path}: no such folder: ${missing}`,
        'create it, or give a file in a folder that exists',
      );
    const unusable = UNUSABLE[code];
    if (unusable)
      throw new UsageError(`${flag} ${path}: ${unusable}`, 'give a file in a folder that this account can write to');
    throw new CliError(
      `${flag} ${path}: ${(error as Error).message}`,
      ExitCode.failure,
      'the next run starts again from the last commit',
    );
  }
}

/** Why an export file found at `path` must not be used (a link, another's file…), or null. */
function refusal(flag: Flag, path: string, found: Stats, regularOnly: boolean): UsageError | null {
  if (found.isSymbolicLink()) {
    return new UsageError(
      `${flag} ${path} is a symbolic link, which an export does not follow`,
      'give the path of the file itself',
    );
  }
  if (found.isDirectory())
    return new UsageError(`${flag} ${path}: it is a folder`, 'give a file in a folder that this account can write to');
  if (regularOnly && !found.isFile()) {
    return new UsageError(
      `${flag} ${path} is not a regular file`,
      flag === '--output'
        ? 'an exactly-once export needs a file it can cut back to its last commit; leave out --output to print to stdout'
        : 'give a file of its own for the checkpoint',
    );
  }
  const uid = process.getuid?.();
  if (found.isFile() && uid !== undefined && found.uid !== uid) {
    return new UsageError(
      `${flag} ${path} belongs to another user (uid ${found.uid}), who could change what it holds`,
      'give a file of your own, in a folder that only you can write to',
    );
  }
  return null;
}

/** lstat, null when there is nothing at `path`. */
async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The checkpoint at `path`, null when there is none yet; UsageError when it is damaged. */
export async function readCheckpointFile(path: string): Promise<CheckpointState | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw refusal('--checkpoint', path, await lstat(path), true) ?? error;
    throw error;
  }
  try {
    const why = refusal('--checkpoint', path, await handle.stat(), true);
    if (why) throw why;
    return parseCheckpoint(await handle.readFile('utf8'), path);
  } finally {
    await handle.close();
  }
}

/** A temporary name beside `path` that nobody can guess and plant a link at first. */
const temporaryName = (path: string): string => `${path}.${randomBytes(8).toString('hex')}.tmp`;
const isTemporaryOf = (path: string, name: string): boolean =>
  name.startsWith(`${basename(path)}.`) && /^\.[0-9a-f]{16}\.tmp$/.test(name.slice(basename(path).length));

/**
 * Replaces the checkpoint so that a crash at any instant leaves either the old one or the
 * new one, whole: a temporary file created exclusively (never through a link, never one that
 * exists), flushed, renamed over, then the folder flushed so the rename itself survives a
 * power cut.
 */
export async function writeCheckpointFile(path: string, state: CheckpointState): Promise<void> {
  const temporary = temporaryName(path);
  const file = await open(temporary, 'wx', 0o644);
  try {
    try {
      await file.writeFile(serializeCheckpoint(state));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncFolder(dirname(path));
}

/**
 * Removes the temporary files of the checkpoint at `path` that killed runs left (this
 * account's regular files only); call it holding the lock, so that none is in use.
 */
export async function removeLeftTemporaries(path: string): Promise<void> {
  const uid = process.getuid?.();
  for (const name of await readdir(dirname(path))) {
    if (!isTemporaryOf(path, name)) continue;
    const found = join(dirname(path), name);
    const stats = await lstatOrNull(found);
    if (stats?.isFile() && (uid === undefined || stats.uid === uid)) await unlink(found).catch(() => undefined);
  }
}

/**
 * Opens `path` to append records to (`logs --output` without a checkpoint): never through a
 * link, never another account's file. A pipe or a device (/dev/null) is fine here.
 */
export async function openAppendTarget(path: string): Promise<FileHandle> {
  const found = await lstatOrNull(path);
  const before = found && refusal('--output', path, found, false);
  if (before) throw before;
  const handle = await open(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW,
    0o644,
  );
  try {
    const why = refusal('--output', path, await handle.stat(), false);
    if (why) throw why;
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, constants.O_RDONLY);
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems cannot flush a folder; the rename is then as durable as they make it.
    if (!['EINVAL', 'ENOTSUP', 'EISDIR', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle.close();
  }
}

/** What opening the output found. */
export interface Repair {
  /** Bytes past the committed length that an interrupted run left, now removed. */
  removedBytes: number;
  /** The file was shorter than committed (rotated or truncated by someone else) or gone. */
  shorterThanCommitted: boolean;
}

/** The output file, appended to only past its committed length. */
export class OutputFile {
  private constructor(
    private readonly path: string,
    private readonly handle: FileHandle,
    private size: number,
    readonly repair: Repair,
  ) {}

  /**
   * Opens `path` for appending, first cutting it back to `committedBytes` (what the
   * checkpoint says holds whole, committed lines). Null: no checkpoint yet, keep it as it is.
   */
  static async open(path: string, committedBytes: number | null): Promise<OutputFile> {
    // Checked before opening too: opening a pipe for writing would wait for a reader.
    const found = await lstatOrNull(path);
    const before = found && refusal('--output', path, found, true);
    if (before) throw before;
    const repair: Repair = { removedBytes: 0, shorterThanCommitted: false };
    const handle = await open(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW | constants.O_NONBLOCK,
      0o644,
    );
    try {
      // What was opened, not what was there a moment before (it may have been swapped).
      const opened = await handle.stat();
      const why = refusal('--output', path, opened, true);
      if (why) throw why;
      let size = opened.size;
      if (committedBytes !== null && size > committedBytes) {
        await handle.truncate(committedBytes);
        await handle.sync();
        repair.removedBytes = size - committedBytes;
        size = committedBytes;
      } else if (committedBytes !== null && size < committedBytes) {
        repair.shorterThanCommitted = true;
      }
      return new OutputFile(path, handle, size, repair);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The file's first line, without its line end (read from the start, up to 64 KiB). */
  async firstLine(): Promise<string> {
    // Opened for appending only; the same file (never through a link) is read from its start.
    const reader = await open(this.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const buffer = Buffer.alloc(Math.min(64 * 1024, this.size));
      const { bytesRead } = await reader.read(buffer, 0, buffer.length, 0);
      return firstLineOf(buffer.subarray(0, bytesRead).toString('utf8'));
    } finally {
      await reader.close();
    }
  }

  /** Bytes in the file, as far as this run knows. */
  get length(): number {
    return this.size;
  }

  async append(text: string): Promise<void> {
    if (text === '') return;
    const buffer = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < buffer.length) {
      const { bytesWritten } = await this.handle.write(buffer, written, buffer.length - written);
      written += bytesWritten;
    }
    this.size += buffer.length;
  }

  /** Flushes what was appended to the disk: only then may the checkpoint count it. */
  async sync(): Promise<void> {
    await this.handle.sync();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/**
 * The ids of the records at the end of the export file `path` (its first `length` bytes,
 * whole NDJSON lines) created at or after second `from`, read backwards from the end: what a
 * run that must read again from `from` skips. Stops at the first line that is older, or that
 * is not one of its records (a file may start with lines of its own).
 */
export async function committedIdsSince(
  path: string,
  length: number,
  from: number,
  rowOf: (line: string) => { id: string; second: number } | null = ndjsonRowOf,
): Promise<{ id: string; second: number }[]> {
  const found: { id: string; second: number }[] = [];
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const CHUNK = 64 * 1024;
    let end = length;
    let carry = Buffer.alloc(0);
    while (end > 0) {
      const start = Math.max(0, end - CHUNK);
      const chunk = Buffer.alloc(end - start);
      await handle.read(chunk, 0, chunk.length, start);
      end = start;
      let buffer = Buffer.concat([chunk, carry]);
      // Every line but the first of the buffer is whole (unless the file's start was reached).
      let cut = buffer.length;
      for (let i = buffer.length - 1; i >= -1; i -= 1) {
        if (i >= 0 && buffer[i] !== 0x0a) continue;
        if (i === -1 && end > 0) break;
        const line = buffer.subarray(i + 1, cut).toString('utf8');
        cut = i;
        if (line === '') continue;
        const record = rowOf(line);
        if (!record || record.second < from) return found;
        found.push(record);
      }
      buffer = buffer.subarray(0, Math.max(0, cut));
      carry = buffer;
    }
    return found;
  } finally {
    await handle.close();
  }
}

/** The id and second of one NDJSON line of an export; null when it is not a record. */
export function ndjsonRowOf(line: string): { id: string; second: number } | null {
  try {
    const { id, created_at: createdAt } = JSON.parse(line) as { id?: unknown; created_at?: unknown };
    const ms = typeof createdAt === 'string' ? Date.parse(createdAt) : Number.NaN;
    return typeof id === 'string' && Number.isFinite(ms) ? { id, second: Math.floor(ms / 1000) } : null;
  } catch {
    return null;
  }
}
