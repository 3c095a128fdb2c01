/**
 * `--checkpoint F --output F` names one file twice (issue 8, item 2): refused with exit 2
 * before anything is written, whether the two paths are equal, relative and absolute, a
 * symbolic link and its target (existing or not yet), or two hard links.
 */
import { existsSync, linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { botEnv } from '../helpers/logs.js';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';

let sandbox: Sandbox;
let config: ReturnType<typeof tempConfigDir>;
let admin: Record<string, string>;
let dir: string;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 2, events: 300, historySpan: 3600 });
  config = tempConfigDir();
  admin = botEnv(sandbox, 'admin', config.dir);
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kitsu-tail-same-'));
  return () => rmSync(dir, { recursive: true, force: true });
});

afterAll(async () => {
  await sandbox?.close();
  config?.cleanup();
});

const exportTo = (checkpoint: string, output: string) => runCli(['logs', '--checkpoint', checkpoint, '--output', output], { env: admin });

async function expectRefused(checkpoint: string, output: string): Promise<void> {
  const before = readdirSync(dir).sort();
  const result = await exportTo(checkpoint, output);
  expect(result.code, `${checkpoint} ${output}: ${result.stderr}`).toBe(2);
  expect(result.stderr).toBe(
    `kitsu-tail: --checkpoint ${checkpoint} and --output ${output} are the same file: the checkpoint would replace the events ` +
      '(give the checkpoint a file of its own, such as state.json beside the output)\n',
  );
  expect(readdirSync(dir).sort()).toEqual(before);
}

describe('--checkpoint and --output naming one file', () => {
  it('is refused with exit 2 when the file does not exist yet: the same path, relative against absolute, a dangling link', async () => {
    const file = join(dir, 'events.ndjson');
    await expectRefused(file, file);
    await expectRefused(relative(process.cwd(), file), file);
    await expectRefused(`${dir}/./events.ndjson`, `${dir}//events.ndjson`);
    symlinkSync('events.ndjson', join(dir, 'link.ndjson'));
    await expectRefused(file, join(dir, 'link.ndjson'));
    symlinkSync(dir, join(dir, 'folder-link'));
    await expectRefused(join(dir, 'folder-link', 'events.ndjson'), file);
    expect(existsSync(file)).toBe(false);
  });

  it('is refused when the file exists: a symbolic link to it, a hard link to it, the same path', async () => {
    const state = join(dir, 'state.json');
    const out = join(dir, 'events.ndjson');
    expect((await exportTo(state, out)).code).toBe(0);
    const checkpoint = readFileSync(state, 'utf8');
    const events = readFileSync(out, 'utf8');
    symlinkSync(state, join(dir, 'soft.json'));
    linkSync(state, join(dir, 'hard.json'));
    await expectRefused(state, state);
    await expectRefused(state, join(dir, 'soft.json'));
    await expectRefused(join(dir, 'hard.json'), state);
    await expectRefused(out, `${dir}/./events.ndjson`);
    expect(readFileSync(state, 'utf8')).toBe(checkpoint);
    expect(readFileSync(out, 'utf8')).toBe(events);
  });
});
