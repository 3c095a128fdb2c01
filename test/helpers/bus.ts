/**
 * Helpers of the bus tests that spawn the built program (`npm run build` first): a bridge or
 * a bus reader as a child process whose stderr is kept, and the comparison of a stream with
 * the sandbox's log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Sandbox } from '../../src/sandbox/types.js';
import { storedIds } from './logs.js';
import { readStream, type PlainClient } from './redis.js';

export const BIN = fileURLToPath(new URL('../../bin/kitsu-tail.js', import.meta.url));

export interface Child {
  process: ChildProcess;
  stderr(): string;
  stdout(): string;
  exited: Promise<number | null>;
}

export function spawnCli(
  args: string[],
  env: Record<string, string>,
  stdin: 'ignore' | 'pipe' = 'ignore',
  nodeArgs: string[] = [],
): Child {
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], {
    env: { ...env, PATH: process.env.PATH ?? '' },
    stdio: [stdin, 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, stderr: () => err, stdout: () => out, exited };
}

/** The ids of the stream's log entries, in stream order. */
export async function loggedIds(client: PlainClient, stream: string): Promise<string[]> {
  return (await readStream(client, stream)).filter((e) => e.fields.source === 'log').map((e) => e.fields.id!);
}

/** Waits until the stream holds every stored event (or `timeoutMs` passes); returns its ids. */
export async function untilComplete(
  client: PlainClient,
  stream: string,
  sandbox: Sandbox,
  timeoutMs = 60_000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids = await loggedIds(client, stream);
    if (ids.length >= storedIds(sandbox).length || Date.now() > deadline) return ids;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function sleepMs(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
