/**
 * Drives a long-running command (listen, demo, logs --follow) in-process while a test talks to
 * the sandbox: stdout and stderr are readable as they grow, conditions can be awaited, and
 * Ctrl-C is an abort with InterruptedError, as src/cli.ts main() does it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { run } from '../../src/cli.js';
import type { Clock } from '../../src/context.js';
import type { EventRecord } from '../../src/core/record.js';
import { InterruptedError } from '../../src/errors.js';
import type { Sandbox, StoredEvent } from '../../src/sandbox/types.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'kitsu-tail.js');

export interface LiveRun {
  stdout(): string;
  stderr(): string;
  /** The NDJSON records printed so far. */
  records(): EventRecord[];
  /** Waits until `condition` holds; rejects after `timeoutMs` naming `what`, with the output so far. */
  waitFor(condition: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  waitForStderr(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  waitForRecords(count: number, timeoutMs?: number): Promise<void>;
  /** Ctrl-C. */
  interrupt(): void;
  /** Resolves with the exit code. */
  exit: Promise<number>;
}

export async function waitUntil(
  condition: () => boolean,
  what: string,
  timeoutMs = 30_000,
  describe?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describe ? `\n${describe()}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function parseRecords(text: string): EventRecord[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EventRecord);
}

function makeLive(outText: () => string, errText: () => string, interrupt: () => void, exit: Promise<number>): LiveRun {
  const describe = () => `--- stdout ---\n${outText().slice(-3000)}\n--- stderr ---\n${errText().slice(-3000)}`;
  const live: LiveRun = {
    stdout: outText,
    stderr: errText,
    records: () => parseRecords(outText()),
    waitFor: (condition, what, timeoutMs) => waitUntil(condition, what, timeoutMs, describe),
    waitForStderr: (pattern, timeoutMs) =>
      live.waitFor(
        () => (typeof pattern === 'string' ? errText().includes(pattern) : pattern.test(errText())),
        `stderr to show ${String(pattern)}`,
        timeoutMs,
      ),
    waitForRecords: (count, timeoutMs) =>
      live.waitFor(() => live.records().length >= count, `${count} records`, timeoutMs),
    interrupt,
    exit,
  };
  return live;
}

/**
 * Runs `argv` in-process with its own streams; `env` is the whole environment it sees,
 * `clock` (default: the real one) what it reads the time from, and `terminal` makes its
 * stdout and stderr 120-column terminals rather than pipes.
 */
export function startInProcess(
  argv: string[],
  env: Record<string, string | undefined>,
  clock: Clock = { now: () => Date.now() },
  options: { terminal?: boolean } = {},
): LiveRun {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  if (options.terminal) for (const stream of [stdout, stderr]) Object.assign(stream, { isTTY: true, columns: 120 });
  const controller = new AbortController();
  const exit = run(argv, {
    stdout,
    stderr,
    stdin,
    env,
    clock,
    signal: controller.signal,
  });
  return makeLive(
    () => out,
    () => err,
    () => controller.abort(new InterruptedError()),
    exit,
  );
}

/** What the exit probe (test/helpers/listen-exit-probe.mjs) prints when process.exit() ends the process. */
export const FORCED_EXIT = /\[exit-probe\] process\.exit\(\d+\) was called/;

/**
 * Spawns bin/kitsu-tail.js (built) with a real stdout pipe; `interrupt` sends SIGINT. Its
 * stderr shows FORCED_EXIT if something had to end the process instead of it ending by itself.
 */
export function spawnCli(
  argv: string[],
  env: Record<string, string | undefined>,
): LiveRun & { child: ChildProcessWithoutNullStreams } {
  const probe = join(import.meta.dirname, 'listen-exit-probe.mjs');
  const child = spawn(process.execPath, ['--import', probe, BIN, ...argv], {
    env: env as NodeJS.ProcessEnv,
    stdio: 'pipe',
  });
  child.stdin.end();
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exit = new Promise<number>((resolve) => {
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  return Object.assign(
    makeLive(
      () => out,
      () => err,
      () => child.kill('SIGINT'),
      exit,
    ),
    { child },
  );
}

/** The environment of a listener logged in with a never-expiring admin bot token. */
export function botEnv(
  sandbox: Sandbox,
  configDir: string,
  role: 'admin' | 'manager' = 'admin',
): Record<string, string> {
  const bot = sandbox.control.createBot(role);
  return { KITSU_HOST: sandbox.url, KITSU_TOKEN: bot.token, KITSU_TAIL_CONFIG_DIR: configDir, NO_COLOR: '1' };
}

/** Name + data, in a form equal events share: what identifies an event without an id. */
export function keyOf(event: { name: string; data: Record<string, unknown> }): string {
  return `${event.name} ${stableJson(event.data)}`;
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** How many times each key occurs. */
export function countKeys(events: readonly { name: string; data: Record<string, unknown> }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(keyOf(e), (counts.get(keyOf(e)) ?? 0) + 1);
  return counts;
}

/**
 * Compares what was printed with what the log holds: the keys missing from the output and
 * those printed more often than stored. Both empty means every stored event exactly once.
 */
export function compareWithLog(
  printed: readonly EventRecord[],
  stored: readonly StoredEvent[],
): { missing: string[]; extra: string[] } {
  const want = countKeys(stored);
  const storedNames = new Set(stored.map((e) => e.name));
  // Events Kitsu never stores (notifications, chat, main:test) are printed live only.
  const got = countKeys(printed.filter((r) => storedNames.has(r.name) || r.id !== null));
  const missing: string[] = [];
  const extra: string[] = [];
  for (const [key, n] of want) {
    const m = got.get(key) ?? 0;
    if (m < n) missing.push(`${key} ×${n - m}`);
  }
  for (const [key, m] of got) {
    const n = want.get(key) ?? 0;
    if (m > n) extra.push(`${key} ×${m - n}`);
  }
  return { missing, extra };
}

/**
 * The reference the benchmarks measure `listen` against: a bare socket.io-client consumer of
 * the same stream that prints each event as `{"name","data"}` and does nothing else.
 */
export const BARE_SOCKET_CLIENT = `
import { io } from ${JSON.stringify(import.meta.resolve('socket.io-client'))};
const socket = io(process.env.KITSU_HOST + '/events', {
  path: '/socket.io',
  transports: ['websocket'],
  extraHeaders: { Authorization: 'Bearer ' + process.env.KITSU_TOKEN },
});
socket.on('connect', () => process.stderr.write('connected to the stream\\n'));
socket.onAny((name, data) => process.stdout.write(JSON.stringify({ name, data }) + '\\n'));
`;
