/**
 * `--checkpoint F --output F` names one file twice (issue 8, item 2): refused with exit 2
 * before anything is written, whether the two paths are equal, relative and absolute, a
 * symbolic link and its target (existing or not yet), or two hard links.
 */
import { existsSync, linkSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useExportFixture } from '../helpers/export-fixture.js';

const fx = useExportFixture({ seed: 2, events: 300, historySpan: 3600 }, 'same');

const exportTo = (checkpoint: string, output: string) => fx.logs('--checkpoint', checkpoint, '--output', output);

async function expectRefused(checkpoint: string, output: string): Promise<void> {
  const before = readdirSync(fx.dir).sort();
  const result = await exportTo(checkpoint, output);
  expect(result.code, `${checkpoint} ${output}: ${result.stderr}`).toBe(2);
  expect(result.stderr).toBe(
    `kitsu-tail: --checkpoint ${checkpoint} and --output ${output} are the same file: the checkpoint would replace the events ` +
      '(give the checkpoint a file of its own, such as state.json beside the output)\n',
  );
  expect(readdirSync(fx.dir).sort()).toEqual(before);
}

describe('--checkpoint and --output naming one file', () => {
  it('is refused with exit 2 when the file does not exist yet: the same path, relative against absolute, a dangling link', async () => {
    const file = join(fx.dir, 'events.ndjson');
    await expectRefused(file, file);
    await expectRefused(relative(process.cwd(), file), file);
    await expectRefused(`${fx.dir}/./events.ndjson`, `${fx.dir}//events.ndjson`);
    symlinkSync('events.ndjson', join(fx.dir, 'link.ndjson'));
    await expectRefused(file, join(fx.dir, 'link.ndjson'));
    symlinkSync(fx.dir, join(fx.dir, 'folder-link'));
    await expectRefused(join(fx.dir, 'folder-link', 'events.ndjson'), file);
    expect(existsSync(file)).toBe(false);
  });

  it('is refused when the file exists: a symbolic link to it, a hard link to it, the same path', async () => {
    const state = join(fx.dir, 'state.json');
    const out = join(fx.dir, 'events.ndjson');
    expect((await exportTo(state, out)).code).toBe(0);
    const checkpoint = readFileSync(state, 'utf8');
    const events = readFileSync(out, 'utf8');
    symlinkSync(state, join(fx.dir, 'soft.json'));
    linkSync(state, join(fx.dir, 'hard.json'));
    await expectRefused(state, state);
    await expectRefused(state, join(fx.dir, 'soft.json'));
    await expectRefused(join(fx.dir, 'hard.json'), state);
    await expectRefused(out, `${fx.dir}/./events.ndjson`);
    expect(readFileSync(state, 'utf8')).toBe(checkpoint);
    expect(readFileSync(out, 'utf8')).toBe(events);
  });
});
