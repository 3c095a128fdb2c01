/**
 * One export at a time per checkpoint: cron runs that overlap must not both append. The
 * lock is a file beside the checkpoint, created atomically (a hard link fails when the
 * name exists) and holding who took it. A run killed with SIGKILL leaves it behind, so a
 * lock whose process is gone on this host is stale and taken over. Several runs may find
 * the same stale lock at once; only the one that creates its takeover marker removes it
 * (see removeStale), so no run can remove a lock that another has just taken.
 *
 * A run that finds the lock held by a live run waits a few seconds for it (runs started
 * together, or the tail of a slow one), then skips: overlapping cron runs are normal under
 * load, nothing is lost (the running export goes on, the next run resumes), so that is not
 * a failure. A lock held for over an hour is: its run may be stuck, and someone should look.
 *
 * This module reads `process.pid` and probes other processes with `process.kill(pid, 0)`:
 * there is no other way to tell a live lock from a dead one in Node without native code.
 */
import { createHash, randomUUID } from 'node:crypto';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { CliError, ExitCode } from '../errors.js';

/** How long a run waits for a live holder to finish before it skips. */
const WAIT_MS = 3_000;
const POLL_MS = 100;
/** A lock held longer than this is reported, not waited for: its run may be stuck. */
const STUCK_AFTER_MS = 60 * 60_000;
/** Stale locks taken over in a row before giving up (another run keeps taking them too). */
const MAX_TAKEOVERS = 3;

interface Holder {
  pid: number;
  host: string;
  /** When the holder process started (Linux: /proc/PID/stat), so a reused pid is not taken for it. */
  processStart: string | null;
  startedAt: string;
  token: string;
}

/** Field 22 of /proc/PID/stat: the process's start time since boot; null where there is no /proc. */
function processStartOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(holder: Holder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: it exists, under another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = processStartOf(holder.pid);
  return holder.processStart === null || start === null || start === holder.processStart;
}

/** A lock file as read: its exact content (what identifies it), and who it names, if anyone. */
interface LockFile {
  content: string;
  holder: Holder | null;
}

/** The lock file at `path`, or null when there is none. */
async function readLock(path: string): Promise<LockFile | null> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const holder = JSON.parse(content) as Holder;
    return { content, holder: typeof holder.pid === 'number' && typeof holder.host === 'string' ? holder : null };
  } catch {
    return { content, holder: null };
  }
}

/** The takeover marker of the stale lock whose content is `content`: one name per lock. */
export function takeoverMarker(lockPath: string, content: string): string {
  return `${lockPath}.takeover-${createHash('sha256').update(content).digest('hex').slice(0, 16)}`;
}

/**
 * Removes the lock file `path` whose content is `stale` (a dead run's, or unreadable):
 * 'removed'; else the live run that is taking it over, or null when `path` holds something
 * else by now. Only the run that creates the takeover marker of that content may remove it,
 * so two runs that both found it stale cannot both remove a lock, the second one removing
 * the lock that the first has just taken. A marker left by a run killed half way through is
 * itself a stale lock, removed the same way.
 */
async function removeStale(lockPath: string, path: string, stale: string, draft: string): Promise<'removed' | Holder | null> {
  const marker = takeoverMarker(lockPath, stale);
  for (;;) {
    try {
      await link(draft, marker);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const taker = await readLock(marker);
    if (taker === null) continue;
    if (taker.holder && isAlive(taker.holder)) return taker.holder;
    const outcome = await removeStale(lockPath, marker, taker.content, draft);
    // Else the marker is gone or another by now: try again.
    if (outcome !== 'removed' && outcome !== null) return outcome;
  }
  try {
    if ((await readLock(path))?.content !== stale) return null;
    await rm(path, { force: true });
    return 'removed';
  } finally {
    await rm(marker, { force: true });
  }
}

export interface Lock {
  release(): Promise<void>;
}

/** Taken, or held by another live run on this host that did not finish within the wait. */
export type LockOutcome = { lock: Lock } | { busy: { pid: number; startedAt: string } };

/**
 * Takes the lock of `checkpointPath`, waiting a little for a live holder, and taking over
 * a stale one. Throws a CliError (exit 1) for a lock held on another host (whether its run
 * lives cannot be told from here) or for over an hour (see the header).
 */
export async function lockCheckpoint(
  checkpointPath: string,
  options: { now: () => number; signal?: AbortSignal },
): Promise<LockOutcome> {
  const lockPath = `${checkpointPath}.lock`;
  const me: Holder = {
    pid: process.pid,
    host: hostname(),
    processStart: processStartOf(process.pid),
    startedAt: new Date(options.now()).toISOString(),
    token: randomUUID(),
  };
  const deadline = options.now() + WAIT_MS;
  const draft = `${lockPath}.${me.token}`;
  await writeFile(draft, `${JSON.stringify(me)}\n`);
  try {
    for (let takeovers = 0; ; ) {
      try {
        await link(draft, lockPath);
        return { lock: { release: () => releaseIfOurs(lockPath, me.token) } };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const current = await readLock(lockPath);
      // Released just now: try again.
      if (current === null) continue;
      const holder = current.holder;
      if (holder && holder.host !== me.host) {
        throw new CliError(
          `another kitsu-tail run on ${holder.host} (pid ${holder.pid}, started ${holder.startedAt}) holds ${lockPath}; this run exported nothing`,
          ExitCode.failure,
          `if no export is running there, delete ${lockPath}`,
        );
      }
      if (holder && isAlive(holder)) {
        if (options.now() - Date.parse(holder.startedAt) > STUCK_AFTER_MS) {
          throw new CliError(
            `another kitsu-tail run (pid ${holder.pid}) has held ${lockPath} since ${holder.startedAt}, over an hour: it may be stuck; this run exported nothing`,
            ExitCode.failure,
            `if pid ${holder.pid} is not getting anywhere, stop it: the next run resumes from the checkpoint`,
          );
        }
        if (options.now() >= deadline) return { busy: { pid: holder.pid, startedAt: holder.startedAt } };
        await delay(POLL_MS, undefined, options.signal ? { signal: options.signal } : undefined);
        continue;
      }
      // Left by a run that was killed (or unreadable): take it over, unless another run is.
      const outcome = await removeStale(lockPath, lockPath, current.content, draft);
      if (outcome === 'removed') {
        takeovers += 1;
        if (takeovers > MAX_TAKEOVERS) throw new CliError(`could not take the lock ${lockPath}`, ExitCode.failure, 'try again');
        continue;
      }
      // That run is about to export: wait for it as for a holder.
      if (outcome !== null && options.now() >= deadline) return { busy: { pid: outcome.pid, startedAt: outcome.startedAt } };
      await delay(POLL_MS / 10, undefined, options.signal ? { signal: options.signal } : undefined);
    }
  } finally {
    await rm(draft, { force: true });
  }
}

async function releaseIfOurs(lockPath: string, token: string): Promise<void> {
  const current = await readLock(lockPath);
  if (current?.holder?.token === token) await rm(lockPath, { force: true });
}
