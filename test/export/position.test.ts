/**
 * An export's position never passes what the server has shown (issue 8, item 1): a future
 * --until is not recorded as read, and a checkpoint whose position is ahead of the server's
 * clock (edited by hand, or the server's clock set back) is said on stderr and read again
 * from the server's clock, without losing or repeating an event.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { botEnv, idsOfNdjson, secondOfStored, storedIds } from '../helpers/logs.js';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';

let sandbox: Sandbox;
let config: ReturnType<typeof tempConfigDir>;
let admin: Record<string, string>;
let dir: string;
let state: string;
let out: string;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 8, events: 1500, historySpan: 3600 });
  config = tempConfigDir();
  admin = botEnv(sandbox, 'admin', config.dir);
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kitsu-tail-position-'));
  state = join(dir, 'state.json');
  out = join(dir, 'events.ndjson');
  return () => rmSync(dir, { recursive: true, force: true });
});

afterAll(async () => {
  await sandbox?.close();
  config?.cleanup();
});

const exportRun = (...argv: string[]) => runCli(['logs', '--checkpoint', state, '--output', out, ...argv], { env: admin });
const positionOf = (): number => Date.parse((JSON.parse(readFileSync(state, 'utf8')) as { position: string }).position) / 1000;

describe('the position an export records', () => {
  it('is not a future --until: the events written before it are exported by the next run', async () => {
    const since = secondOfStored(sandbox.control.log()[500]!);
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const range = ['--since', new Date(since * 1000).toISOString(), '--until', until];
    const first = await exportRun(...range);
    expect(first.code, first.stderr).toBe(0);
    expect(positionOf()).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    const fresh = sandbox.control.generate(7).map((e) => e.id);
    const second = await exportRun(...range);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('appended 7 new events');
    const ids = idsOfNdjson(readFileSync(out, 'utf8'));
    expect(ids.slice(-7)).toEqual(fresh);
    expect(ids).toEqual(storedIds(sandbox, (e) => secondOfStored(e) >= since));
  });

  it('ahead of the server is said, moved back to its clock, and nothing is lost or repeated', async () => {
    expect((await exportRun()).code).toBe(0);
    // Something exported in the seconds just before the edit, which the next run reads again.
    sandbox.control.generate(4);
    expect((await exportRun()).code).toBe(0);
    const saved = JSON.parse(readFileSync(state, 'utf8')) as Record<string, unknown>;
    const ahead = new Date(Math.floor(Date.now() / 1000) * 1000 + 86_400_000).toISOString().replace('.000Z', 'Z');
    writeFileSync(state, JSON.stringify({ ...saved, position: ahead, recent: [] }));
    const fresh = sandbox.control.generate(5).map((e) => e.id);
    const result = await exportRun();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`the checkpoint's position ${ahead} is ahead of the server's clock`);
    expect(result.stderr).toContain(`skipping the events already in ${out}`);
    expect(result.stderr).toContain('appended 5 new events');
    const ids = idsOfNdjson(readFileSync(out, 'utf8'));
    expect(ids.slice(-5)).toEqual(fresh);
    expect(ids).toEqual(storedIds(sandbox));
    expect(positionOf()).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    // Said once: the position is the server's now.
    const again = await exportRun();
    expect(again.stderr).not.toContain('ahead of the server');
    expect(idsOfNdjson(readFileSync(out, 'utf8'))).toEqual(storedIds(sandbox));
  });
});
