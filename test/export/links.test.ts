/**
 * Export files never follow links (issue 8, item 8): an --output or --checkpoint that is a
 * symbolic link, a link planted at the checkpoint's old temporary name, and files of another
 * account are refused or left alone, and the file they aim at is never written.
 */
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { botEnv, idsOfNdjson, storedIds } from '../helpers/logs.js';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';

let sandbox: Sandbox;
let config: ReturnType<typeof tempConfigDir>;
let admin: Record<string, string>;
let dir: string;
let state: string;
let out: string;
let victim: string;
const VICTIM = 'precious: must never be truncated or written\n';

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 4, events: 200, historySpan: 3600 });
  config = tempConfigDir();
  admin = botEnv(sandbox, 'admin', config.dir);
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kitsu-tail-links-'));
  state = join(dir, 'state.json');
  out = join(dir, 'events.ndjson');
  victim = join(dir, 'victim.txt');
  writeFileSync(victim, VICTIM);
  return () => rmSync(dir, { recursive: true, force: true });
});

afterAll(async () => {
  await sandbox?.close();
  config?.cleanup();
});

const logs = (...argv: string[]) => runCli(['logs', ...argv], { env: admin });

describe('export files and links', () => {
  it('refuses an --output that is a symbolic link, with a checkpoint or without, leaving its target alone', async () => {
    symlinkSync(victim, out);
    for (const argv of [['--checkpoint', state, '--output', out], ['--all', '--output', out]]) {
      const result = await logs(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toBe(`kitsu-tail: --output ${out} is a symbolic link, which an export does not follow (give the path of the file itself)\n`);
      expect(readFileSync(victim, 'utf8')).toBe(VICTIM);
    }
    expect(existsSync(state)).toBe(false);
  });

  it('refuses a --checkpoint that is a symbolic link', async () => {
    expect((await logs('--checkpoint', state, '--output', out)).code).toBe(0);
    rmSync(state);
    symlinkSync(victim, state);
    const result = await logs('--checkpoint', state, '--output', out);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--checkpoint ${state} is a symbolic link, which an export does not follow`);
    expect(readFileSync(victim, 'utf8')).toBe(VICTIM);
  });

  it('never writes through a link planted at a temporary name, and removes the temporaries killed runs left', async () => {
    // The name the checkpoint's temporary file had before: a run wrote through it.
    symlinkSync(victim, `${state}.tmp`);
    const left = `${state}.0123456789abcdef.tmp`;
    writeFileSync(left, 'a killed run left this');
    expect((await logs('--checkpoint', state, '--output', out)).code).toBe(0);
    expect((await logs('--checkpoint', state, '--output', out)).code).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe(VICTIM);
    expect(idsOfNdjson(readFileSync(out, 'utf8'))).toEqual(storedIds(sandbox));
    expect(readdirSync(dir).sort()).toEqual(['events.ndjson', 'state.json', 'state.json.tmp', 'victim.txt']);
  });

  it.runIf(process.getuid?.() === 0)('refuses an output or checkpoint that belongs to another user (run as root)', async () => {
    writeFileSync(out, '');
    chownSync(out, 65534, 65534);
    for (const argv of [['--checkpoint', state, '--output', out], ['--all', '--output', out]]) {
      const result = await logs(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toContain(`--output ${out} belongs to another user (uid 65534)`);
    }
    expect(readFileSync(out, 'utf8')).toBe('');
  });
});
