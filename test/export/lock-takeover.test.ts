/**
 * The export lock and dead runs elsewhere (issue 8, item 12): a lock of another host that has
 * shown no sign of life for longer than the stuck threshold is taken over, with a warning
 * (every Kubernetes CronJob pod has a new hostname); a waiter killed with SIGKILL leaves no
 * `state.json.lock.<uuid>` draft behind. Needs `npm run build` (the killed waiter is a process).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { botEnv, idsOfNdjson, storedIds, waitFor } from '../helpers/logs.js';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';

const BIN = fileURLToPath(new URL('../../bin/kitsu-tail.js', import.meta.url));
let sandbox: Sandbox;
let config: ReturnType<typeof tempConfigDir>;
let admin: Record<string, string>;
let dir: string;
let state: string;
let out: string;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 6, events: 300, historySpan: 3600 });
  config = tempConfigDir();
  admin = botEnv(sandbox, 'admin', config.dir);
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kitsu-tail-takeover-'));
  state = join(dir, 'state.json');
  out = join(dir, 'events.ndjson');
  return () => rmSync(dir, { recursive: true, force: true });
});

afterAll(async () => {
  await sandbox?.close();
  config?.cleanup();
});

const exportRun = () => runCli(['logs', '--checkpoint', state, '--output', out], { env: admin });
const lockOf = (host: string, startedMs: number, pid = 4242) =>
  JSON.stringify({ pid, host, processStart: null, startedAt: new Date(startedMs).toISOString(), token: 'theirs' });

describe('a lock left on another host', () => {
  it('is taken over, with a warning, once untouched for over an hour; a younger one is not', async () => {
    const lock = `${state}.lock`;
    writeFileSync(lock, lockOf('cronjob-pod-a1b2c', Date.now() - 10 * 60_000));
    const young = await exportRun();
    expect(young.code).toBe(1);
    expect(young.stderr).toContain(`another kitsu-tail run on cronjob-pod-a1b2c (pid 4242, started`);
    expect(readFileSync(lock, 'utf8')).toContain('cronjob-pod-a1b2c');

    const twoHoursAgo = Date.now() - 2 * 3_600_000;
    writeFileSync(lock, lockOf('cronjob-pod-a1b2c', twoHoursAgo));
    utimesSync(lock, new Date(twoHoursAgo), new Date(twoHoursAgo));
    const old = await exportRun();
    expect(old.code, old.stderr).toBe(0);
    expect(old.stderr).toContain(`warning: took over ${lock}, left by pid 4242 on cronjob-pod-a1b2c (started ${new Date(twoHoursAgo).toISOString()}) and untouched for over an hour`);
    expect(idsOfNdjson(readFileSync(out, 'utf8'))).toEqual(storedIds(sandbox));
    expect(readdirSync(dir).sort()).toEqual(['events.ndjson', 'state.json']);
  });

  it('started long ago but touched lately (its run lives and shows it) is not taken over', async () => {
    const lock = `${state}.lock`;
    writeFileSync(lock, lockOf('cronjob-pod-a1b2c', Date.now() - 2 * 3_600_000));
    const result = await exportRun();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('holds');
  });
});

describe('a waiter killed with SIGKILL', () => {
  it('leaves no draft behind once the next run has the lock', { timeout: 30_000 }, async () => {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      writeFileSync(`${state}.lock`, JSON.stringify({ pid: holder.pid, host: hostname(), processStart: null, startedAt: new Date().toISOString(), token: 'x' }));
      const waiter = spawn(process.execPath, [BIN, 'logs', '--checkpoint', state, '--output', out], { env: admin, stdio: 'ignore' });
      await waitFor(() => readdirSync(dir).some((name) => /^state\.json\.lock\.[0-9a-f-]{36}$/.test(name)), 'the waiter to write its draft');
      waiter.kill('SIGKILL');
      await new Promise((resolve) => waiter.once('exit', resolve));
      expect(readdirSync(dir).filter((name) => name.startsWith('state.json.lock.'))).toHaveLength(1);
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
      const next = await exportRun();
      expect(next.code, next.stderr).toBe(0);
      expect(readdirSync(dir).sort()).toEqual(['events.ndjson', 'state.json']);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
