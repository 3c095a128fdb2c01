import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { afterAll, describe, expect, it } from 'vitest';
import { completionScript, SHELLS, type Shell } from '../../src/output/completion/index.js';
import { bashCompletions } from '../helpers/bash-completion.js';
import { fishCompletions } from '../helpers/fish-completion.js';
import { hasShell as has } from '../helpers/shells.js';
import { zshCompletions } from '../helpers/zsh-completion.js';
import { runCli } from '../helpers/run-cli.js';

const root = join(import.meta.dirname, '..', '..');
const committed = (shell: Shell) => join(root, 'completions', `kitsu-tail.${shell}`);
const REGENERATE = 'UPDATE_COMPLETIONS=1 npx vitest run test/completion';
const work = mkdtempSync(join(tmpdir(), 'kitsu-tail-completion-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function generated(shell: Shell): Promise<string> {
  const result = await runCli(['completion', shell]);
  expect(result.code).toBe(0);
  expect(result.stderr).toBe('');
  return result.stdout;
}

async function scriptFile(shell: Shell): Promise<string> {
  const file = join(work, `kitsu-tail.${shell}`);
  writeFileSync(file, await generated(shell));
  return file;
}

describe('kitsu-tail completion', () => {
  it.each(SHELLS)('completions/kitsu-tail.%s matches the program', async (shell) => {
    const script = await generated(shell);
    if (process.env.UPDATE_COMPLETIONS === '1') writeFileSync(committed(shell), script);
    const onDisk = readFileSync(committed(shell), 'utf8');
    if (onDisk !== script) {
      throw new Error(
        `completions/kitsu-tail.${shell} is out of date with src/cli.ts: regenerate it with \`${REGENERATE}\``,
      );
    }
  });

  it('refuses a shell it does not know, with exit 2', async () => {
    const result = await runCli(['completion', 'powershell']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('bash, zsh, fish');
  });

  it('is generated from the program, not written by hand', () => {
    const program = new Command('kitsu-tail');
    program.option('--globally <file>', 'a global file option');
    program
      .command('brand-new')
      .description('a command nobody wrote a completion for')
      .addOption(new Option('--mode <mode>', 'a mode').choices(['fast', 'slow']));
    for (const shell of SHELLS) {
      const script = completionScript(program, shell);
      expect(script).toContain('brand-new');
      expect(script).toContain('fast');
      expect(script).toMatch(/globally/);
      expect(script).not.toContain('only-files');
    }
  });

  it('names every command and long option of the real program', async () => {
    const { createProgram } = await import('../../src/cli.js');
    const program = createProgram({
      stdout: process.stdout,
      stderr: process.stderr,
      stdin: process.stdin,
      env: {},
      clock: { now: () => 0 },
      signal: new AbortController().signal,
    });
    const scripts = await Promise.all(SHELLS.map(generated));
    const walk = (command: CommandUnknownOpts): void => {
      for (const option of command.options) {
        // Hidden options (a deprecated alias such as --person) are not offered on TAB.
        if ((option as { hidden?: boolean }).hidden) continue;
        for (const script of scripts) expect(script).toContain(option.long!.slice(2));
      }
      for (const sub of command.commands) {
        for (const script of scripts) expect(script).toContain(sub.name());
        walk(sub);
      }
    };
    walk(program);
  });
});

describe('the bash script', () => {
  it('parses (bash -n)', async () => {
    execFileSync('bash', ['-n', await scriptFile('bash')]);
  });

  it('completes commands, options and their values', async () => {
    const file = await scriptFile('bash');
    writeFileSync(join(work, 'events.ndjson'), '');
    // [command line typed so far, what COMPREPLY should hold]
    const cases: Array<[string, string]> = [
      ['kitsu-tail lo', 'login logout logs'],
      ['kitsu-tail logs --si', '--since'],
      ['kitsu-tail logs --format ', 'table ndjson json csv'],
      ['kitsu-tail logs --format=', 'table ndjson json csv'],
      ['kitsu-tail --color a', 'auto always'],
      ['kitsu-tail --format json log', 'login logout logs'],
      ['kitsu-tail --profile logs lo', 'login logout logs'],
      ['kitsu-tail profiles ', 'use remove'],
      ['kitsu-tail profiles use ', ''],
      ['kitsu-tail completion ', 'bash zsh fish'],
      ['kitsu-tail logs task:new --pro', '--project --profile'],
      ['kitsu-tail listen --no-b', '--no-backfill'],
      ['kitsu-tail logs --since ', ''],
      ['kitsu-tail logs --output ev', 'events.ndjson'],
      ['kitsu-tail whoami --', '--help --profile --format --json --color --verbose --quiet --insecure --ca-file'],
    ];
    // A PATH without an installed kitsu-tail: `profiles use` would list that one's profiles.
    const offered = bashCompletions(
      file,
      cases.map(([line]) => line),
      { cwd: work, env: { PATH: '/usr/bin:/bin', HOME: work } },
    );
    expect(offered).toEqual(cases.map(([, expected]) => expected));
  });
});

describe.skipIf(!has('zsh'))('the zsh script (zsh is installed here)', () => {
  it('parses (zsh -n), the committed copy and the generated one', async () => {
    execFileSync('zsh', ['-n', committed('zsh')]);
    execFileSync('zsh', ['-n', await scriptFile('zsh')]);
  });

  it('completes commands, options and their values through compinit', async () => {
    const file = await scriptFile('zsh');
    writeFileSync(join(work, 'events.ndjson'), '');
    // [command line typed so far, what zsh offers]
    const cases: Array<[string, string[]]> = [
      ['kitsu-tail lo', ['login', 'logout', 'logs']],
      ['kitsu-tail logs --si', ['--since']],
      ['kitsu-tail logs --format ', ['csv', 'json', 'ndjson', 'table']],
      ['kitsu-tail logs --format=', ['csv', 'json', 'ndjson', 'table']],
      ['kitsu-tail --color a', ['always', 'auto']],
      ['kitsu-tail --format json log', ['login', 'logout', 'logs']],
      ['kitsu-tail profiles ', ['remove', 'use']],
      ['kitsu-tail completion ', ['bash', 'fish', 'zsh']],
      ['kitsu-tail logs task:new --pro', ['--profile', '--project']],
      ['kitsu-tail listen --no-b', ['--no-backfill']],
      ['kitsu-tail logs --output ev', ['events.ndjson']],
    ];
    const offered = zshCompletions(
      file,
      cases.map(([line]) => line),
      // A PATH without an installed kitsu-tail: `profiles use` would list that one's profiles.
      { work, env: { PATH: '/usr/bin:/bin', HOME: work } },
    );
    expect(Object.fromEntries(cases.map(([line], i) => [line, offered[i]]))).toEqual(Object.fromEntries(cases));
  });

  it('also works sourced after compinit (source <(kitsu-tail completion zsh))', async () => {
    const file = await scriptFile('zsh');
    const cases: Array<[string, string[]]> = [
      ['kitsu-tail lo', ['login', 'logout', 'logs']],
      ['kitsu-tail logs --format ', ['csv', 'json', 'ndjson', 'table']],
    ];
    const offered = zshCompletions(
      file,
      cases.map(([line]) => line),
      { work, env: { PATH: '/usr/bin:/bin', HOME: work }, sourced: true },
    );
    expect(offered).toEqual(cases.map(([, expected]) => expected));
  });
});

describe.skipIf(!has('fish'))('the fish script (fish is installed here)', () => {
  it('parses (fish --no-execute), the committed copy and the generated one', async () => {
    execFileSync('fish', ['--no-execute', committed('fish')]);
    execFileSync('fish', ['--no-execute', await scriptFile('fish')]);
  });

  it('completes commands, options and their values', async () => {
    const file = await scriptFile('fish');
    const cases: Array<[string, string[]]> = [
      ['kitsu-tail lo', ['login', 'logout', 'logs']],
      ['kitsu-tail logs --format ', ['csv', 'json', 'ndjson', 'table']],
      ['kitsu-tail --profile logs lo', ['login', 'logout', 'logs']],
      ['kitsu-tail profiles ', ['remove', 'use']],
      ['kitsu-tail logs --pro', ['--profile', '--project']],
      ['kitsu-tail completion ', ['bash', 'fish', 'zsh']],
      // Not on PATH here: nothing to offer, and no error on the terminal.
      ['kitsu-tail profiles use ', []],
    ];
    const offered = fishCompletions(
      file,
      cases.map(([line]) => line),
      { cwd: work, env: { PATH: '/usr/bin:/bin', HOME: work } },
    );
    expect(Object.fromEntries(cases.map(([line], i) => [line, offered[i]]))).toEqual(Object.fromEntries(cases));
  });
});
