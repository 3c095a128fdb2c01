/**
 * kitsu-tail(1) is generated from the program, like the completion scripts: the committed
 * man/kitsu-tail.1 must be what the program makes now, must pass `man --warnings` where man
 * is installed, and is installed with the package (package.json `man`, `files`).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli.js';
import { EXIT_CODES_HELP } from '../../src/options.js';
import { manPage } from '../../src/output/man.js';
import { NEWEST_ZOU } from '../../src/core/zou-versions.js';
import { NEWEST_VERSION } from '../../src/sandbox/versions.js';

const root = join(import.meta.dirname, '..', '..');
const committed = join(root, 'man', 'kitsu-tail.1');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  man?: string[];
  files?: string[];
};

function generated(): string {
  const deps = {
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    stdin: new PassThrough(),
    env: {},
    clock: { now: () => 0 },
    signal: new AbortController().signal,
  };
  return manPage(createProgram(deps) as unknown as CommandUnknownOpts, pkg.version, EXIT_CODES_HELP);
}

const hasMan = spawnSync('man', ['--version'], { stdio: 'ignore' }).status === 0;

describe('man/kitsu-tail.1', () => {
  it('matches the program', () => {
    const page = generated();
    if (process.env.UPDATE_MAN === '1') writeFileSync(committed, page);
    if (readFileSync(committed, 'utf8') !== page) {
      throw new Error(
        'man/kitsu-tail.1 is out of date with the program: regenerate it with `UPDATE_MAN=1 npx vitest run test/completion/man.test.ts`',
      );
    }
  });

  it('names every command, its options and its examples', () => {
    const page = generated();
    for (const text of [
      '.SS\nlogs',
      '.SS\nprofiles use',
      '\\fB\\-\\-since\\fR \\fItime\\fR',
      'kitsu\\-tail logs \\-\\-checkpoint state.json',
      '.SH EXIT STATUS',
      '\\fB124\\fR',
    ]) {
      expect(page).toContain(text);
    }
  });

  it('names the Zou range the sandbox emulates (core and sandbox agree)', () => {
    expect(NEWEST_ZOU).toBe(NEWEST_VERSION);
  });

  it('is installed with the package', () => {
    expect(pkg.man).toEqual(['./man/kitsu-tail.1']);
    expect(pkg.files).toContain('man');
  });

  it.skipIf(!hasMan)('passes man --warnings', () => {
    const result = spawnSync('man', ['--warnings', '-l', committed], {
      encoding: 'utf8',
      env: { ...process.env, MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '80', MAN_KEEP_FORMATTING: '' },
    });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/kitsu-tail logs \[options\] \[patterns\.\.\.\]/);
  });
});
