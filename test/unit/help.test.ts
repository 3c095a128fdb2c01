/**
 * The help pages (issue 11): a snapshot of every command's --help, and the rules every page
 * follows, checked over the program's own command tree so that a command added later is held
 * to them too: 2 to 4 examples at the end, the global options listed once (under
 * `kitsu-tail --help`) and pointed to from every other page, defaults shown.
 */
import { PassThrough } from 'node:stream';
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli.js';
import { examplesOf } from '../../src/output/help.js';
import { runCli } from '../helpers/run-cli.js';

function commandPaths(): string[][] {
  const deps = {
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    stdin: new PassThrough(),
    env: {},
    clock: { now: () => 0 },
    signal: new AbortController().signal,
  };
  const program = createProgram(deps) as unknown as CommandUnknownOpts;
  const walk = (command: CommandUnknownOpts, path: string[]): string[][] => [
    path,
    ...command.commands.flatMap((c) => walk(c, [...path, c.name()])),
  ];
  return walk(program, []);
}

const paths = commandPaths();

async function help(path: string[]): Promise<string> {
  const result = await runCli([...path, '--help']);
  expect(result.code).toBe(0);
  expect(result.stderr).toBe('');
  return result.stdout;
}

describe('kitsu-tail --help', () => {
  it.each(paths.map((p) => [p.join(' ') || '(the program)', p] as const))('%s: snapshot', async (_name, path) => {
    expect(await help(path)).toMatchSnapshot();
  });

  it.each(paths.map((p) => [p.join(' ') || '(the program)', p] as const))(
    '%s: ends with 2 to 4 real examples',
    async (_name, path) => {
      const examples = examplesOf(path.join(' '));
      expect(examples.length).toBeGreaterThanOrEqual(2);
      expect(examples.length).toBeLessThanOrEqual(4);
      const text = await help(path);
      expect(text).toMatch(/\nExamples:\n( {2}\$ .*\n {6}.*\n)+$/);
      for (const example of examples) {
        expect(example.line).toMatch(/kitsu-tail/);
        expect(text).toContain(`$ ${example.line}`);
      }
    },
  );

  it('lists the global options once, under kitsu-tail --help', async () => {
    const root = await help([]);
    expect(root).toMatch(/--profile <name>/);
    expect(root).toMatch(/--ca-file <file>/);
    for (const path of paths.filter((p) => p.length > 0)) {
      const text = await help(path);
      expect(text, path.join(' ')).not.toMatch(/--profile <name>|--ca-file <file>|Global Options:/);
      expect(text, path.join(' ')).toMatch(/Global options: --profile [\s\S]*\(see kitsu-tail --help\)/);
    }
  });

  it('shows the defaults the plans apply', async () => {
    const sandbox = await help(['sandbox']);
    expect(sandbox).toMatch(/--port <n>.*\(default: 5080\)/);
    expect(sandbox).toMatch(/--rate <n>.*\(default: 1\)/);
    expect(sandbox).toMatch(/--events <n>[\s\S]*\(default:\s+1000\)/);
    const demo = await help(['demo']);
    expect(demo).toMatch(/--port <n>.*\(default: 0\)/);
  });

  it("says what --json prints for each command's output", async () => {
    expect(await help(['whoami'])).toMatch(/--json\s+prints\s+one\s+JSON\s+object\./);
    expect(await help(['logs'])).toMatch(/--json\s+prints\s+one\s+JSON\s+record\s+per\s+line/);
  });

  it('explains --exclude beside !pattern (bash history expansion)', async () => {
    for (const path of [['logs'], ['listen']]) {
      expect(await help(path)).toMatch(/--exclude <pattern>[\s\S]*history/);
    }
  });
});
