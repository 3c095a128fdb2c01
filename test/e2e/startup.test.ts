import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { tempConfigDir } from '../helpers/run-cli.js';

const exec = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'kitsu-tail.js');
const tracer = join(root, 'test', 'helpers', 'trace-imports.mjs');
const tmp = tempConfigDir();
afterAll(() => tmp.cleanup());

async function modulesLoadedBy(args: string[]): Promise<string[]> {
  const traceFile = join(tmp.dir, `trace-${args.join('-')}.txt`);
  await exec(process.execPath, ['--import', tracer, bin, ...args], {
    env: { ...process.env, KITSU_TAIL_TRACE_FILE: traceFile },
  });
  return readFileSync(traceFile, 'utf8').split('\n').filter(Boolean);
}

describe('start-up', () => {
  it('bin/kitsu-tail.js is executable', () => {
    expect(statSync(bin).mode & 0o111).not.toBe(0);
  });

  for (const args of [['--help'], ['--version'], ['logs', '--help']]) {
    it(`\`${args.join(' ')}\` loads neither socket.io-client, undici nor conf`, async () => {
      const loaded = await modulesLoadedBy(args);
      // The tracer must have seen the program itself, or this test proves nothing.
      expect(loaded.some((url) => url.endsWith('/dist/cli.js'))).toBe(true);
      const heavy = loaded.filter((url) => /node_modules\/(socket\.io-client|engine\.io-client|undici|conf|ajv|chrono-node|cli-table3|otpauth)\//.test(url));
      expect(heavy).toEqual([]);
    });
  }
});
