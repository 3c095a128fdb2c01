/**
 * `listen --exec CMD`: a shell command for each event, one at a time and in order, with the
 * record as JSON on its stdin and the main fields in its environment. The command's own
 * output goes to stderr, so that stdout keeps carrying records only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { EventRecord } from '../core/record.js';
import type { Context } from '../context.js';
import type { Reporter } from '../output/reporter.js';
import { createRunner, type EventRunner } from './queued-runner.js';

/** Events that may wait for the command; past that, new ones are dropped and counted. */
export const EXEC_QUEUE_LIMIT = 10_000;

/**
 * kitsu-tail's own environment as a command gets it: without KITSU_PASSWORD, which no script
 * needs and which is a person's password, not a revocable token. KITSU_TOKEN passes on: a
 * script that calls the API as the same bot looks for it there, and it was put there for
 * the job (`env -u KITSU_TOKEN` in the command keeps it from one that should not have it).
 */
function inheritedEnvironment(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const { KITSU_PASSWORD: _password, ...rest } = env;
  return rest;
}

/**
 * An environment variable cannot hold a NUL (the C strings end there, and spawn refuses
 * one): such a character, which only a broken or hostile server sends, reaches the command as
 * U+FFFD. The record on stdin is JSON, where NUL is \u0000, so the command still has it exact.
 */
function envText(text: string): string {
  return text.replace(/\0/g, '\uFFFD');
}

/** The environment a command gets for one event (on top of kitsu-tail's own). */
export function eventEnvironment(record: EventRecord): Record<string, string> {
  return {
    KITSU_EVENT_NAME: envText(record.name),
    KITSU_EVENT_PROJECT_ID: envText(record.project_id ?? ''),
    KITSU_EVENT_DATA: JSON.stringify(record.data),
    KITSU_EVENT_ID: envText(record.id ?? ''),
    KITSU_EVENT_CREATED_AT: envText(record.created_at),
    KITSU_EVENT_SOURCE: record.source,
  };
}

function holdsNul(record: EventRecord): boolean {
  return [record.name, record.project_id, record.id, record.created_at].some((text) => text?.includes('\0'));
}

export interface ExecRunner extends EventRunner {
  /** Commands that failed so far. */
  readonly failed: number;
}

/** `--exec-on-error`: go on with the next event (default), or end the run at the first failure. */
export interface ExecFailurePolicy {
  stop: boolean;
  /** Called once, at the first failure, when `stop`. */
  onStop(reason: string): void;
}

/**
 * `onHandled` hears of each record once its command ended, and whether it exited 0 (the
 * Redis consumer group acknowledges an entry only then, src/bridge/reader.ts).
 */
export function createExecRunner(
  ctx: Context,
  command: string,
  reporter: Reporter,
  limit = EXEC_QUEUE_LIMIT,
  policy: ExecFailurePolicy = { stop: false, onStop: () => undefined },
  onHandled?: (record: EventRecord, ok: boolean) => void,
): ExecRunner {
  let running: ChildProcess | null = null;
  let failed = 0;
  const inherited = inheritedEnvironment(ctx.env);

  /** Runs the command once; null when it succeeded, else what went wrong. */
  function runOnce(record: EventRecord): Promise<string | null> {
    if (holdsNul(record)) {
      reporter.warnOnce(
        'exec-nul',
        '--exec: an event has a NUL character in its name or ids, which an environment variable cannot hold; the KITSU_EVENT_* variables show it as U+FFFD, the record on stdin has it exact',
      );
    }
    return new Promise((resolve) => {
      const child = spawn(command, {
        shell: true,
        env: { ...inherited, ...eventEnvironment(record) },
        stdio: ['pipe', 'pipe', 'pipe'],
        // A process group of its own, so that stopping reaches whatever the command started.
        detached: process.platform !== 'win32',
      });
      running = child;
      child.stdout.on('data', (chunk: Buffer) => ctx.stderr.write(chunk));
      child.stderr.on('data', (chunk: Buffer) => ctx.stderr.write(chunk));
      // A command that does not read its stdin closes it early: not a failure.
      child.stdin.on('error', () => undefined);
      child.stdin.end(`${JSON.stringify(record)}\n`);
      child.on('error', (error) => {
        running = null;
        resolve(`the command could not start (${error.message})`);
      });
      child.on('close', (code, signal) => {
        running = null;
        if (code === 0) resolve(null);
        else resolve(signal ? `the command was killed by ${signal}` : `the command exited with ${code}`);
      });
    });
  }

  const runner = createRunner({
    label: '--exec',
    consumer: 'the command',
    limit,
    reporter,
    handle: async (record) => {
      const outcome = await runOnce(record);
      onHandled?.(record, outcome === null);
      if (outcome === null) return;
      failed += 1;
      if (policy.stop) {
        if (failed === 1)
          policy.onStop(`--exec: ${outcome} for ${record.name} (${record.created_at}); stopped (--exec-on-error stop)`);
        return;
      }
      reporter.warn(`--exec: ${outcome} for ${record.name} (${record.created_at}); going on`);
    },
    abort: () => {
      if (!running) return;
      stopProcessGroup(running);
      // What ignores the signal must not hold this process open, by its pipes or its handle.
      running.stdout?.destroy();
      running.stderr?.destroy();
      running.unref();
    },
  });
  return Object.defineProperty(runner, 'failed', { get: () => failed, enumerable: true }) as ExecRunner;
}

function stopProcessGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGTERM');
    else child.kill('SIGTERM');
  } catch {
    // Gone already.
  }
}
