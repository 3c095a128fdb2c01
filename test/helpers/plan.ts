/**
 * argv → Plan, or the usage error: runs the real program (commander's parsing, then the
 * command's plan) in-process and stops before any I/O. The tables of test/unit/plans.test.ts
 * use it; each case takes milliseconds and needs no sandbox.
 */
import { PassThrough } from 'node:stream';
import { run } from '../../src/cli.js';

export type PlanOutcome = { ok: true; command: string; plan: unknown } | { ok: false; code: number; stderr: string };

export interface PlanOfOptions {
  /** The clock, in epoch milliseconds (default: a fixed instant, so tables do not drift). */
  now?: number;
}

/** A fixed "now" for the tables: Sunday 29 November 2026, 12:00 UTC. */
export const TABLE_NOW = Date.UTC(2026, 10, 29, 12, 0, 0);

export async function planOf(argv: string[], options: PlanOfOptions = {}): Promise<PlanOutcome> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end();
  let err = '';
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  stdout.resume();
  let planned: { command: string; plan: unknown } | undefined;
  const now = options.now ?? TABLE_NOW;
  const code = await run(
    argv,
    { stdout, stderr, stdin, env: {}, clock: { now: () => now }, signal: new AbortController().signal },
    async ({ command, plan }) => {
      planned = { command, plan };
    },
  );
  if (code === 0 && planned) return { ok: true, ...planned };
  return { ok: false, code, stderr: err };
}
