/**
 * The one lock of kitsu-tail: a file beside what it guards, created atomically (a hard link
 * from a draft that already holds the content fails when the name exists) and naming who
 * took it. Two users with two policies:
 * - an export (`lockCheckpoint`): overlapping cron runs must not both append. A run that finds
 *   the lock held by a live run waits a few seconds, then skips (exit 0: the running export
 *   goes on, the next run resumes). A lock held for over an hour by a live run is reported: its
 *   run may be stuck, and someone should look.
 * - the config store (`withFileLock`): two processes renewing a token at once take turns.
 *
 * A run killed with SIGKILL leaves its lock behind. On this host a lock whose process is gone
 * is stale and taken over at once. On another host (every Kubernetes CronJob pod has a new
 * hostname) whether it lives cannot be told, so the holder shows it: it touches the lock
 * every few seconds, and a lock from another host untouched for longer than the policy's
 * stale time is taken over, with a warning. Several runs may find the same stale lock at
 * once; only the one that creates its takeover marker removes it (see removeStale), so no run
 * can remove a lock that another has just taken.
 *
 * Why ours and not proper-lockfile 4.1.2 (issue 15): 20 runs racing for one stale lock, 30
 * rounds (the test/logs/lock.test.ts race, run against `lockfile.lock(file, {stale: 10000,
 * retries: 0})`), let two runs hold it at once in 4 runs of 4, and in some no run got it; it
 * tells staleness by mtime only, so a run killed on this host blocks the next ones for the
 * stale time, and it records no holder that a message could name.
 *
 * This module reads `process.pid` and probes other processes with `process.kill(pid, 0)`:
 * there is no other way to tell a live lock from a dead one in Node without native code.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, open, readdir, rm, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CliError, ExitCode } from '../errors.js';

/** How often a holder shows it lives (touches its lock). */
const HEARTBEAT_MS = 2_000;
/** A lock whose content names nobody (not ours) is stale once untouched this long. */
const UNREADABLE_STALE_MS = 15_000;
/** Stale locks taken over in a row before giving up (another run keeps taking them too). */
const MAX_TAKEOVERS = 3;

export interface Holder {
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

function isAliveHere(holder: Holder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: it exists, under another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = processStartOf(holder.pid);
  return holder.processStart === null || start === null || start === holder.processStart;
}

/** A lock file as read: its exact content (what identifies it), who it names, when last touched. */
interface LockFile {
  content: string;
  holder: Holder | null;
  touchedMs: number;
}

/** The lock file at `path`, or null when there is none. */
async function readLock(path: string): Promise<LockFile | null> {
  let content: string;
  let touchedMs: number;
  try {
    const handle = await open(path, 'r');
    try {
      touchedMs = (await handle.stat()).mtimeMs;
      content = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const holder = JSON.parse(content) as Holder;
    const named =
      typeof holder.pid === 'number' && typeof holder.host === 'string' && typeof holder.startedAt === 'string';
    return { content, holder: named ? holder : null, touchedMs };
  } catch {
    return { content, holder: null, touchedMs };
  }
}

/** How a lock found in the way stands. */
type Standing = 'alive' | 'stale' | 'unknown';

/**
 * Whether the holder of `lock` lives: on this host by its process; elsewhere by its last sign
 * of life (its start, or the last touch of its lock), stale after `staleMs`.
 */
function standingOf(lock: LockFile, me: Holder, staleMs: number, nowMs: number): Standing {
  const { holder } = lock;
  if (!holder) return nowMs - lock.touchedMs > UNREADABLE_STALE_MS ? 'stale' : 'unknown';
  if (holder.host === me.host) return isAliveHere(holder) ? 'alive' : 'stale';
  return nowMs - lastSign(lock) > staleMs ? 'stale' : 'unknown';
}

const lastSign = (lock: LockFile): number => Math.max(lock.touchedMs, Date.parse(lock.holder?.startedAt ?? '') || 0);

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
async function removeStale(
  lockPath: string,
  path: string,
  stale: string,
  draft: string,
  isStale: (lock: LockFile) => boolean,
): Promise<'removed' | Holder | null> {
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
    if (taker.holder && !isStale(taker)) return taker.holder;
    const outcome = await removeStale(lockPath, marker, taker.content, draft, isStale);
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

/** The drafts (`LOCK.<uuid>`) that waiters killed before their cleanup left beside `lockPath`. */
async function removeDeadDrafts(lockPath: string, me: Holder, staleMs: number, nowMs: number): Promise<void> {
  const prefix = `${basename(lockPath)}.`;
  const names = await readdir(dirname(lockPath)).catch(() => [] as string[]);
  for (const name of names) {
    const rest = name.slice(prefix.length);
    if (!name.startsWith(prefix) || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(rest))
      continue;
    if (rest === me.token) continue;
    const path = join(dirname(lockPath), name);
    const draft = await readLock(path).catch(() => null);
    if (draft && standingOf(draft, me, staleMs, nowMs) === 'stale') await rm(path, { force: true });
  }
}

export interface Lock {
  release(): Promise<void>;
}

export interface LockPolicy {
  now(): number;
  signal?: AbortSignal;
  /** How long to wait for a live holder (or one whose life cannot be told) before giving up. */
  waitMs: number;
  pollMs: number;
  /** A live holder on this host that has held the lock longer than this may be stuck. */
  stuckMs: number;
  /** A holder on another host that has given no sign of life for this long is gone. */
  staleMs: number;
  /** Told when a lock of another host is taken over. */
  onTakeover?(holder: Holder): void;
}

/**
 * Taken; or held by a holder that did not let go within the wait: `waiting` (alive here, or
 * elsewhere and not stale yet), `stuck` (alive here for longer than `stuckMs`).
 */
export type Acquired = { lock: Lock } | { busy: Holder; why: 'waiting' | 'elsewhere' | 'stuck' };

/** Takes the lock at `lockPath`, waiting for a live holder and taking over a stale one. */
export async function acquireLock(lockPath: string, policy: LockPolicy): Promise<Acquired> {
  const me: Holder = {
    pid: process.pid,
    host: hostname(),
    processStart: processStartOf(process.pid),
    startedAt: new Date(policy.now()).toISOString(),
    token: randomUUID(),
  };
  const deadline = policy.now() + policy.waitMs;
  const draft = `${lockPath}.${me.token}`;
  const wait = (ms: number) => delay(ms, undefined, policy.signal ? { signal: policy.signal } : undefined);
  const isStale = (lock: LockFile) => standingOf(lock, me, policy.staleMs, policy.now()) === 'stale';
  // Exclusively: the name is new, and must not be a link someone planted.
  const handle = await open(draft, 'wx', 0o644);
  try {
    await handle.writeFile(`${JSON.stringify(me)}\n`);
  } finally {
    await handle.close();
  }
  try {
    for (let takeovers = 0; ;) {
      try {
        await link(draft, lockPath);
        await removeDeadDrafts(lockPath, me, policy.staleMs, policy.now());
        return { lock: held(lockPath, me.token) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const current = await readLock(lockPath);
      // Released just now: try again.
      if (current === null) continue;
      const standing = standingOf(current, me, policy.staleMs, policy.now());
      if (standing !== 'stale') {
        const holder = current.holder;
        if (holder && standing === 'alive' && policy.now() - Date.parse(holder.startedAt) > policy.stuckMs) {
          return { busy: holder, why: 'stuck' };
        }
        if (policy.now() >= deadline) {
          const who = holder ?? {
            pid: 0,
            host: 'unknown',
            processStart: null,
            startedAt: new Date(current.touchedMs).toISOString(),
            token: '',
          };
          return { busy: who, why: standing === 'alive' ? 'waiting' : 'elsewhere' };
        }
        await wait(policy.pollMs);
        continue;
      }
      // Left by a run that was killed (or gone quiet elsewhere): take it over, unless another run is.
      const outcome = await removeStale(lockPath, lockPath, current.content, draft, isStale);
      if (outcome === 'removed') {
        if (current.holder && current.holder.host !== me.host) policy.onTakeover?.(current.holder);
        takeovers += 1;
        if (takeovers > MAX_TAKEOVERS)
          throw new CliError(`could not take the lock ${lockPath}`, ExitCode.failure, 'try again');
        continue;
      }
      // That run is about to take it: wait for it as for a holder.
      if (outcome !== null && policy.now() >= deadline) return { busy: outcome, why: 'waiting' };
      await wait(policy.pollMs / 10);
    }
  } finally {
    await rm(draft, { force: true });
  }
}

/** A taken lock: touched every few seconds (see the header), removed on release if still ours. */
function held(lockPath: string, token: string): Lock {
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lockPath, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    release: async () => {
      clearInterval(heartbeat);
      const current = await readLock(lockPath);
      if (current?.holder?.token === token) await rm(lockPath, { force: true });
    },
  };
}

// ---- The export's policy -------------------------------------------------------------------

/** How long an export waits for a live holder to finish before it skips. */
const EXPORT_WAIT_MS = 3_000;
const EXPORT_POLL_MS = 100;
/** A lock held longer than this is reported, not waited for, or (elsewhere, untouched) taken over. */
const EXPORT_STUCK_MS = 60 * 60_000;

/** Taken, or held by another live run that did not finish within the wait. */
export type LockOutcome = { lock: Lock } | { busy: { pid: number; startedAt: string } };

/**
 * Takes the lock of `checkpointPath` for an export (see the header). Throws a CliError (exit 1)
 * for a lock held on another host and touched within the hour, or held for over an hour by a
 * live run here; a lock of another host untouched for an hour is taken over with `warn`.
 */
export async function lockCheckpoint(
  checkpointPath: string,
  options: { now: () => number; signal?: AbortSignal; warn?: (message: string) => void },
): Promise<LockOutcome> {
  const lockPath = `${checkpointPath}.lock`;
  const acquired = await acquireLock(lockPath, {
    now: options.now,
    signal: options.signal,
    waitMs: EXPORT_WAIT_MS,
    pollMs: EXPORT_POLL_MS,
    stuckMs: EXPORT_STUCK_MS,
    staleMs: EXPORT_STUCK_MS,
    onTakeover: (holder) =>
      options.warn?.(
        `took over ${lockPath}, left by pid ${holder.pid} on ${holder.host} (started ${holder.startedAt}) and untouched for over an hour: ` +
          'its run is taken to be gone',
      ),
  });
  if ('lock' in acquired) return acquired;
  const { busy: holder, why } = acquired;
  if (why === 'stuck') {
    throw new CliError(
      `another kitsu-tail run (pid ${holder.pid}) has held ${lockPath} since ${holder.startedAt}, over an hour: it may be stuck; this run exported nothing`,
      ExitCode.failure,
      `if pid ${holder.pid} is not getting anywhere, stop it: the next run resumes from the checkpoint`,
    );
  }
  if (why === 'elsewhere') {
    throw new CliError(
      `another kitsu-tail run on ${holder.host} (pid ${holder.pid}, started ${holder.startedAt}) holds ${lockPath}; this run exported nothing`,
      ExitCode.failure,
      `if no export is running there, delete ${lockPath} (a lock untouched for an hour is taken over)`,
    );
  }
  return { busy: { pid: holder.pid, startedAt: holder.startedAt } };
}

// ---- The config store's policy -------------------------------------------------------------

export interface FileLockOptions {
  /** A lock of another host untouched this long belongs to a dead process. */
  staleMs?: number;
  /** Give up waiting after this long. */
  waitMs?: number;
}

/**
 * Runs `work` holding the lock at `lockPath`, shared by every kitsu-tail process using the
 * same config folder: the second of two renewing a token re-reads the store under the lock
 * and finds the token the first one saved, instead of both writing over each other.
 */
export async function withFileLock<T>(
  lockPath: string,
  work: () => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const acquired = await acquireLock(lockPath, {
    now: () => Date.now(),
    waitMs: options.waitMs ?? 60_000,
    // A renewal holds the lock for one request.
    pollMs: 20,
    stuckMs: Infinity,
    staleMs: options.staleMs ?? 15_000,
  });
  if (!('lock' in acquired)) {
    throw new CliError(
      `the config folder is locked by another kitsu-tail (${lockPath})`,
      ExitCode.failure,
      'if no other kitsu-tail is running, delete that file',
    );
  }
  try {
    return await work();
  } finally {
    await acquired.lock.release();
  }
}
