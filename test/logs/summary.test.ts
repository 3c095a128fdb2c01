/**
 * Issue 11: `logs --follow` and `logs --output` end with a summary in listen's words, and after
 * Ctrl-C it starts on a line of its own (the terminal has just echoed ^C). In-process against
 * the sandbox on 127.0.0.1.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { startInProcess, waitUntil, type LiveRun } from '../helpers/listen.js';
import { botEnv } from '../helpers/logs.js';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';

let sandbox: Sandbox;
let config: ReturnType<typeof tempConfigDir>;
let env: Record<string, string>;
let work: string;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, seed: 5, events: 40, rate: 0 });
  config = tempConfigDir();
  env = botEnv(sandbox, 'admin', config.dir);
  work = mkdtempSync(join(tmpdir(), 'kitsu-tail-summary-'));
});

afterAll(async () => {
  await sandbox?.close();
  config?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** `logs` in-process with stdout and stderr as terminals (or pipes), and Ctrl-C at hand. */
function start(argv: string[], terminal: boolean): LiveRun {
  return startInProcess(['logs', ...argv], env, undefined, { terminal });
}

describe('logs --output: says what went into the file', () => {
  it('logs --all --output FILE ends with "appended N events to FILE"', async () => {
    const file = join(work, 'all.ndjson');
    const result = await runCli(['logs', '--all', '--output', file], { env });
    expect(result.code, result.stderr).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(sandbox.control.log().length);
    expect(result.stderr).toBe(`appended ${lines.length} events to ${file}\n`);
    // --quiet: nothing but errors and warnings.
    const quiet = await runCli(['--quiet', 'logs', '--all', '--output', join(work, 'q.ndjson')], { env });
    expect(quiet.stderr).toBe('');
  });
});

describe('logs --follow: a summary like listen', () => {
  it('Ctrl-C prints "stopped: N events, R reconnects, B backfilled" on a line of its own, exit 130', async () => {
    const history = sandbox.control.log().length;
    const live = start(['--follow', '--all', '--json'], true);
    await waitUntil(() => live.stderr().includes('press Ctrl-C'), 'the live part', 30_000, live.stderr);
    sandbox.control.emit('task:update', { task_id: 'after-history' });
    await waitUntil(() => live.stdout().includes('after-history'), 'the live record', 30_000, live.stderr);
    live.interrupt();
    expect(await live.exit).toBe(130);
    expect(live.stderr()).toMatch(new RegExp(`\\n\\nstopped: ${history + 1} events, 0 reconnects, 0 backfilled\\n$`));
  });

  it('in a pipe the summary after Ctrl-C has no blank line before it', async () => {
    const live = start(['--follow', '--limit', '2', '--json'], false);
    await waitUntil(() => live.stderr().includes('press Ctrl-C'), 'the live part', 30_000, live.stderr);
    live.interrupt();
    expect(await live.exit).toBe(130);
    expect(live.stderr()).toMatch(/Ctrl-C to stop\nstopped: 2 events, 0 reconnects, 0 backfilled\n$/);
  });

  it('logs --follow --output FILE ends at --until with the summary of the file', async () => {
    const file = join(work, 'follow.ndjson');
    const result = await runCli(['logs', '--follow', '--limit', '3', '--until', '+2s', '--output', file], { env });
    expect(result.code, result.stderr).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(result.stderr).toMatch(
      new RegExp(
        `\\nappended ${lines.length} events to ${file.replace(/[.]/g, '\\.')}, 0 reconnects, 0 backfilled\\n$`,
      ),
    );
  });
});
