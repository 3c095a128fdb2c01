import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { run } from '../../src/cli.js';
import { InterruptedError, OutputClosedError } from '../../src/errors.js';
import { runCli } from '../helpers/run-cli.js';

describe('the program', () => {
  it('prints help with the exit codes and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: kitsu-tail');
    expect(result.stdout).toContain('124');
    expect(result.stderr).toBe('');
  });

  // issue 11: the global options are listed once, under kitsu-tail --help; a command's help
  // names them in one line that points there and says what --json prints for that command.
  it("points to the global options in a command's help, where people look for --json", async () => {
    const result = await runCli(['logs', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/Global Options:/);
    expect(result.stdout).toMatch(
      /Global options: [\s\S]*--json[\s\S]*\(see\s+kitsu-tail\s+--help\)\.\s+Here\s+--json\s+prints\s+one\s+JSON\s+record\s+per\s+line/,
    );
  });

  it('prints the version of package.json', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each([[['version']], [['--version', '--verbose']], [['-V', '-v']]])(
    '%j prints the version, Node.js, the platform and the Zou versions',
    async (argv) => {
      const result = await runCli(argv);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(
        /^kitsu-tail \d+\.\d+\.\d+\nNode\.js {4}\d+\.\d+\.\d+\nplatform {3}\w+ \w+\nZou {8}0\.19\.0 to 1\.0\.\d+\n$/,
      );
      expect(result.stdout).toContain(process.versions.node);
    },
  );

  it('answers an unknown flag with exit 2 and one line on stderr', async () => {
    const result = await runCli(['logs', '--no-such-flag']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("unknown option '--no-such-flag'");
  });

  it('answers a bad number with exit 2', async () => {
    const result = await runCli(['listen', '--count', 'many']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--count takes a whole number');
  });
});

describe('formatError', () => {
  it('prints one inert line with the hint, without tokens or escape sequences', async () => {
    const { formatError } = await import('../../src/cli.js');
    const { ServerError } = await import('../../src/errors.js');
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
    const line = formatError(
      new ServerError(`proxy said \u001b]0;pwned\u0007"Bearer ${token}"\nsecond line.`, 'check --host'),
    );
    expect(line).toBe('kitsu-tail: proxy said "Bearer [redacted]" second line (check --host)');
  });

  it('flattens brackets inside a hint, so no message nests them', async () => {
    const { formatError } = await import('../../src/cli.js');
    const { UsageError } = await import('../../src/errors.js');
    const line = formatError(new UsageError('--since: bad', 'use 2h (two hours ago) or 08:00 (today)'));
    expect(line).toBe('kitsu-tail: --since: bad (use 2h, two hours ago or 08:00, today)');
  });
});

describe('an AbortError that escapes a command', () => {
  const abortError = () =>
    Object.assign(new Error('This operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
  const stopWith = async (reason: Error | null): Promise<{ code: number; stderr: string }> => {
    const controller = new AbortController();
    if (reason) controller.abort(reason);
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const deps = {
      stdout: new PassThrough(),
      stderr,
      stdin: new PassThrough(),
      env: {},
      clock: { now: () => Date.now() },
      signal: controller.signal,
    };
    const code = await run(['whoami'], deps, async () => {
      throw abortError();
    });
    return { code, stderr: text };
  };

  it('is the interruption when the run was stopped (Ctrl-C → 130, a closed stdout → 0)', async () => {
    expect(await stopWith(new InterruptedError())).toEqual({ code: 130, stderr: '' });
    expect((await stopWith(new OutputClosedError())).code).toBe(0);
  });

  it('is an unexpected failure when nothing stopped the run', async () => {
    const { code, stderr } = await stopWith(null);
    expect(code).toBe(1);
    expect(stderr).toContain('unexpected error');
  });
});
