/**
 * Export files never follow links (issue 8, item 8): an --output or --checkpoint that is a
 * symbolic link, a link planted at the checkpoint's old temporary name, and files of another
 * account are refused or left alone, and the file they aim at is never written.
 */
import { chownSync, existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useExportFixture } from '../helpers/export-fixture.js';
import { idsOfNdjson, storedIds } from '../helpers/logs.js';

const fx = useExportFixture({ seed: 4, events: 200, historySpan: 3600 }, 'links');
let victim: string;
const VICTIM = 'precious: must never be truncated or written\n';

beforeEach(() => {
  victim = join(fx.dir, 'victim.txt');
  writeFileSync(victim, VICTIM);
});
const logs = (...argv: string[]) => fx.logs(...argv);

describe('export files and links', () => {
  it('refuses an --output that is a symbolic link, with a checkpoint or without, leaving its target alone', async () => {
    symlinkSync(victim, fx.out);
    for (const argv of [
      ['--checkpoint', fx.state, '--output', fx.out],
      ['--all', '--output', fx.out],
    ]) {
      const result = await logs(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toBe(
        `kitsu-tail: --output ${fx.out} is a symbolic link, which an export does not follow (give the path of the file itself)\n`,
      );
      expect(readFileSync(victim, 'utf8')).toBe(VICTIM);
    }
    expect(existsSync(fx.state)).toBe(false);
  });

  it('refuses a --checkpoint that is a symbolic link', async () => {
    expect((await logs('--checkpoint', fx.state, '--output', fx.out)).code).toBe(0);
    rmSync(fx.state);
    symlinkSync(victim, fx.state);
    const result = await logs('--checkpoint', fx.state, '--output', fx.out);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--checkpoint ${fx.state} is a symbolic link, which an export does not follow`);
    expect(readFileSync(victim, 'utf8')).toBe(VICTIM);
  });

  it('never writes through a link planted at a temporary name, and removes the temporaries killed runs left', async () => {
    // The name the checkpoint's temporary file had before: a run wrote through it.
    symlinkSync(victim, `${fx.state}.tmp`);
    const left = `${fx.state}.0123456789abcdef.tmp`;
    writeFileSync(left, 'a killed run left this');
    expect((await logs('--checkpoint', fx.state, '--output', fx.out)).code).toBe(0);
    expect((await logs('--checkpoint', fx.state, '--output', fx.out)).code).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe(VICTIM);
    expect(idsOfNdjson(readFileSync(fx.out, 'utf8'))).toEqual(storedIds(fx.sandbox));
    expect(readdirSync(fx.dir).sort()).toEqual(['events.ndjson', 'state.json', 'state.json.tmp', 'victim.txt']);
  });

  it.runIf(process.getuid?.() === 0)(
    'refuses an output or checkpoint that belongs to another user (run as root)',
    async () => {
      writeFileSync(fx.out, '');
      chownSync(fx.out, 65534, 65534);
      for (const argv of [
        ['--checkpoint', fx.state, '--output', fx.out],
        ['--all', '--output', fx.out],
      ]) {
        const result = await logs(...argv);
        expect(result.code, argv.join(' ')).toBe(2);
        expect(result.stderr).toContain(`--output ${fx.out} belongs to another user (uid 65534)`);
      }
      expect(readFileSync(fx.out, 'utf8')).toBe('');
    },
  );
});
