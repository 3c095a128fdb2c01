import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { tempConfigDir } from '../helpers/run-cli.js';

const exec = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'kitsu-tail.js');
const tracer = join(root, 'test', 'helpers', 'trace-imports.mjs');
const tmp = tempConfigDir();
afterAll(() => tmp.cleanup());

interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}

/**
 * The source modules a command loaded: dist/ is a bundle, so the tracer sees chunks, and the
 * build's metafile says which sources each chunk holds.
 */
async function modulesLoadedBy(args: string[]): Promise<string[]> {
  const traceFile = join(tmp.dir, `trace-${args.join('-')}.txt`);
  await exec(process.execPath, ['--import', tracer, bin, ...args], {
    env: { ...process.env, KITSU_TAIL_TRACE_FILE: traceFile },
  });
  const meta = JSON.parse(readFileSync(join(root, 'dist', 'meta.json'), 'utf8')) as Metafile;
  const chunks = readFileSync(traceFile, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith('file:'));
  return chunks.flatMap((url) => Object.keys(meta.outputs[relative(root, fileURLToPath(url))]?.inputs ?? {}));
}

describe('start-up', () => {
  it('bin/kitsu-tail.js is executable', () => {
    expect(statSync(bin).mode & 0o111).not.toBe(0);
  });

  for (const args of [['--help'], ['--version'], ['logs', '--help'], ['__complete', 'events', '--', 'task:']]) {
    it(`\`${args.join(' ')}\` loads neither socket.io-client, undici nor conf`, async () => {
      const loaded = await modulesLoadedBy(args);
      // The tracer must have seen the program itself, or this test proves nothing.
      expect(loaded).toContain('src/cli.ts');
      const heavy = loaded.filter((path) =>
        /node_modules\/(socket\.io-client|engine\.io-client|undici|conf|ajv|chrono-node|cli-table3|otpauth)\//.test(
          path,
        ),
      );
      expect(heavy).toEqual([]);
    });
  }

  it('`__complete` (run on every TAB) reads local files only: no server code, no engine, no store library', async () => {
    const loaded = await modulesLoadedBy(['__complete', 'projects', '--', 'Moon']);
    expect(loaded).toContain('src/commands/complete.ts');
    expect(loaded.filter((path) => /^src\/(kitsu|listen|logs|export|bridge|sandbox|search)\//.test(path))).toEqual([]);
    expect(loaded.filter((path) => path.startsWith('node_modules/') && !path.includes('commander'))).toEqual([]);
  });
});
