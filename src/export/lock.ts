/**
 * One export at a time per checkpoint: cron runs that overlap must not both append. The
 * lock is a file beside the checkpoint, created atomically (a hard link fails when the
 * name exists) and holding who took it. A run killed with SIGKILL leaves it behind, so a
 * lock whose process is gone on this host is stale and taken over.
 *
 * This module reads `process.pid` and probes other processes with `process.kill(pid, 0)`:
 * there is no other way to tell a live lock from a dead one in Node without native code.
 */
import { randomUUID } from 'node:crypto';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { CliError, ExitCode } from '../errors.js';

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

async function readHolder(lockPath: string): Promise<Holder | null> {
  try {
    const holder = JSON.parse(await readFile(lockPath, 'utf8')) as Holder;
    return typeof holder.pid === 'number' && typeof holder.host === 'string' ? holder : null;
  } catch {
    return null;
  }
}

export interface Lock {
  release(): Promise<void>;
}

/**
 * Takes the lock of `checkpointPath`, or throws a CliError (exit 1) naming the run that
 * holds it. A stale lock (its process is gone) is taken over.
 */
export async function lockCheckpoint(checkpointPath: string): Promise<Lock> {
  const lockPath = `${checkpointPath}.lock`;
  const me: Holder = {
    pid: process.pid,
    host: hostname(),
    processStart: processStartOf(process.pid),
    startedAt: new Date().toISOString(),
    token: randomUUID(),
  };
  const draft = `${lockPath}.${me.token}`;
  await writeFile(draft, `${JSON.stringify(me)}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        await link(draft, lockPath);
        return { release: () => releaseIfOurs(lockPath, me.token) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await readHolder(lockPath);
      if (holder && holder.host !== me.host) {
        throw new CliError(
          `another kitsu-tail run on ${holder.host} (pid ${holder.pid}, started ${holder.startedAt}) holds ${lockPath}; this run exported nothing`,
          ExitCode.failure,
          `if no export is running there, delete ${lockPath}`,
        );
      }
      if (holder && isAlive(holder)) {
        throw new CliError(
          `another kitsu-tail run (pid ${holder.pid}, started ${holder.startedAt}) is exporting with this checkpoint; this run exported nothing`,
          ExitCode.failure,
          'runs overlapped; the next run continues where that one stops',
        );
      }
      // Left by a run that was killed: take it over.
      await rm(lockPath, { force: true });
    }
    throw new CliError(`could not take the lock ${lockPath}`, ExitCode.failure, 'try again');
  } finally {
    await rm(draft, { force: true });
  }
}

async function releaseIfOurs(lockPath: string, token: string): Promise<void> {
  const holder = await readHolder(lockPath);
  if (holder?.token === token) await rm(lockPath, { force: true });
}
