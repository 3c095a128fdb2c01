/**
 * A lock file shared by every kitsu-tail process using the same config folder, so that two
 * of them renewing a token at once take turns: the second re-reads the store under the lock
 * and finds the token the first one saved, instead of both writing over each other.
 *
 * The holder touches the file while it works; a lock nobody has touched for `staleMs` was
 * left by a process that died, and is taken over.
 */
import { randomUUID } from 'node:crypto';
import { open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { CliError, ExitCode } from '../errors.js';

export interface LockOptions {
  /** A lock untouched this long belongs to a dead process. */
  staleMs?: number;
  /** Give up waiting after this long. */
  waitMs?: number;
}

const HEARTBEAT_MS = 2_000;

export async function withFileLock<T>(lockPath: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const staleMs = options.staleMs ?? 15_000;
  const waitMs = options.waitMs ?? 60_000;
  const owner = randomUUID();
  await acquire(lockPath, owner, staleMs, waitMs);
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lockPath, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  try {
    return await work();
  } finally {
    clearInterval(heartbeat);
    await release(lockPath, owner);
  }
}

async function acquire(lockPath: string, owner: string, staleMs: number, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt += 1) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      try {
        await handle.writeFile(owner);
      } finally {
        await handle.close();
      }
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    await breakIfStale(lockPath, staleMs);
    if (Date.now() > deadline) {
      throw new CliError(
        `the config folder is locked by another kitsu-tail (${lockPath})`,
        ExitCode.failure,
        'if no other kitsu-tail is running, delete that file',
      );
    }
    // Short, jittered waits: a renewal holds the lock for one request.
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * Math.min(100, 10 * (attempt + 1))));
  }
}

async function breakIfStale(lockPath: string, staleMs: number): Promise<void> {
  let seen;
  try {
    seen = await stat(lockPath);
  } catch {
    return; // released meanwhile
  }
  if (Date.now() - seen.mtimeMs < staleMs) return;
  // Move it aside first: of several processes breaking the same lock, only one rename wins.
  const aside = `${lockPath}.${randomUUID()}.stale`;
  try {
    await rename(lockPath, aside);
  } catch {
    return;
  }
  const moved = await stat(aside).catch(() => null);
  if (moved && moved.ino !== seen.ino) {
    // Another process broke the stale lock and took a fresh one between our stat and rename.
    await rename(aside, lockPath).catch(() => undefined);
    return;
  }
  await unlink(aside).catch(() => undefined);
}

async function release(lockPath: string, owner: string): Promise<void> {
  // Only remove the lock if it is still ours (it may have been broken as stale meanwhile).
  const content = await readFile(lockPath, 'utf8').catch(() => null);
  if (content === owner) await unlink(lockPath).catch(() => undefined);
}
