/**
 * Issue 11: an empty result on a terminal says so (on stderr, exit 0), and a pattern that
 * matches no known event name gets a "did you mean", in a pipe too. In-process against the
 * sandbox on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { botEnv } from '../helpers/logs.js';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';

let sandbox: Sandbox;
let config: ReturnType<typeof tempConfigDir>;
let env: Record<string, string>;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, seed: 7, events: 60, rate: 0 });
  config = tempConfigDir();
  env = botEnv(sandbox, 'admin', config.dir);
});

afterAll(async () => {
  await sandbox?.close();
  config?.cleanup();
});

const TYPO_WARNING =
  "warning: no known event name matches 'tsk:*'; did you mean 'task:*'? (plugins and custom entity types may send names not known here)\n";

describe('logs: empty results and mistyped patterns', () => {
  it('on a terminal: the did-you-mean, then what matched nothing and since when; exit 0', async () => {
    const result = await runCli(['logs', 'tsk:*', '--since', '2d'], { env, tty: true });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(TYPO_WARNING);
    expect(result.stderr).toMatch(
      /^no events matched 'tsk:\*' since (\d{4}-\d\d-\d\d )?\d\d:\d\d; known names look like task:\*, comment:\*, shot:\*$/m,
    );
  });

  it('in a pipe: the did-you-mean only (an empty output is the answer a script expects)', async () => {
    const result = await runCli(['logs', 'tsk:*', '--since', '2d'], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(TYPO_WARNING);
  });

  it('a known name that matched nothing: no warning, the empty result said on a terminal', async () => {
    // main:test is never stored (persist=False), so the log has none.
    const result = await runCli(['logs', 'main:test', '--all'], { env, tty: true });
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('warning');
    expect(result.stderr).toContain(
      "no events matched 'main:test' in the event log; known names look like task:*, comment:*, shot:*\n",
    );
    const excluded = await runCli(['logs', '--exclude', 'tsk:update', '--limit', '1'], { env });
    expect(excluded.stderr).toContain(
      "warning: no known event name matches '!tsk:update'; did you mean '!task:update'?",
    );
  });

  it('a filter with no pattern that matched nothing says "the filters"; results say nothing more', async () => {
    const none = await runCli(['logs', '--about', sandbox.users.admin.id, '--only-files', '--all'], { env, tty: true });
    expect(none.code, none.stderr).toBe(0);
    expect(none.stderr).toContain('no events matched the filters in the event log\n');
    const some = await runCli(['logs', '--limit', '3'], { env, tty: true });
    expect(some.code).toBe(0);
    expect(some.stderr).not.toContain('no events');
  });
});

describe('listen: a run that ends with nothing printed', () => {
  it('--until on a terminal says nothing matched since the start; in a pipe it does not', async () => {
    const result = await runCli(['listen', 'tsk:*', '--until', '+1s', '--no-backfill'], { env, tty: true });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(TYPO_WARNING);
    expect(result.stderr).toMatch(/^no events matched 'tsk:\*' since \d\d:\d\d; known names look like task:\*/m);
    const piped = await runCli(['listen', 'task:*', '--until', '+1s', '--no-backfill'], { env });
    expect(piped.code).toBe(0);
    expect(piped.stderr).not.toContain('no events');
  });
});
