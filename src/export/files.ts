/**
 * The file side of an exactly-once export: the checkpoint replaced atomically, and the
 * output file repaired back to its last committed length before anything is appended.
 */
import { constants } from 'node:fs';
import { open, readFile, rename, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseCheckpoint, serializeCheckpoint, type CheckpointState } from '../core/checkpoint.js';
import { CliError, ExitCode, UsageError } from '../errors.js';

/** System errors that mean a path the user gave cannot be used at all. */
const UNUSABLE: Record<string, string> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'part of its path is not a folder',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
};

/**
 * Runs `work` on the file that `flag` names, so that a system error says which file and
 * what to do in one line: exit 2 when the path cannot be used at all, else exit 1 (a full
 * disk…), after which the next run starts again from the last commit.
 */
export async function onFile<T>(flag: '--checkpoint' | '--output', path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const { code, syscall } = error as NodeJS.ErrnoException;
    if (typeof code !== 'string' || typeof syscall !== 'string') throw error;
    const unusable = UNUSABLE[code];
    if (unusable) throw new UsageError(`${flag} ${path}: ${unusable}`, 'give a file in a folder that this account can write to');
    throw new CliError(`${flag} ${path}: ${(error as Error).message}`, ExitCode.failure, 'the next run starts again from the last commit');
  }
}

/** The checkpoint at `path`, null when there is none yet; UsageError when it is damaged. */
export async function readCheckpointFile(path: string): Promise<CheckpointState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return parseCheckpoint(text, path);
}

/**
 * Replaces the checkpoint so that a crash at any instant leaves either the old one or the
 * new one, whole: a temporary file, flushed, renamed over, then the folder flushed so the
 * rename itself survives a power cut. The temporary name is fixed: the lock is held.
 */
export async function writeCheckpointFile(path: string, state: CheckpointState): Promise<void> {
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w', 0o644);
  try {
    await file.writeFile(serializeCheckpoint(state));
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  await syncFolder(dirname(path));
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
    private readonly handle: FileHandle,
    private size: number,
    readonly repair: Repair,
  ) {}

  /**
   * Opens `path` for appending, first cutting it back to `committedBytes` (what the
   * checkpoint says holds whole, committed lines). Null: no checkpoint yet, keep it as it is.
   */
  static async open(path: string, committedBytes: number | null): Promise<OutputFile> {
    let size = 0;
    try {
      const stats = await stat(path);
      if (!stats.isFile()) {
        throw new UsageError(
          `--output ${path} is not a regular file`,
          'an exactly-once export needs a file it can cut back to its last commit; leave out --output to print to stdout',
        );
      }
      size = stats.size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const repair: Repair = { removedBytes: 0, shorterThanCommitted: false };
    const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, 0o644);
    try {
      if (committedBytes !== null && size > committedBytes) {
        await handle.truncate(committedBytes);
        await handle.sync();
        repair.removedBytes = size - committedBytes;
        size = committedBytes;
      } else if (committedBytes !== null && size < committedBytes) {
        repair.shorterThanCommitted = true;
      }
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new OutputFile(handle, size, repair);
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
export async function committedIdsSince(path: string, length: number, from: number): Promise<{ id: string; second: number }[]> {
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
        const record = recordOf(line);
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

function recordOf(line: string): { id: string; second: number } | null {
  try {
    const { id, created_at: createdAt } = JSON.parse(line) as { id?: unknown; created_at?: unknown };
    const ms = typeof createdAt === 'string' ? Date.parse(createdAt) : Number.NaN;
    return typeof id === 'string' && Number.isFinite(ms) ? { id, second: Math.floor(ms / 1000) } : null;
  } catch {
    return null;
  }
}
