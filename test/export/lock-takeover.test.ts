/**
 * The export lock and dead runs elsewhere (issue 8, item 12): a lock of another host that has
 * shown no sign of life for longer than the stuck threshold is taken over, with a warning
 * (every Kubernetes CronJob pod has a new hostname); a waiter killed with SIGKILL leaves no
 * `state.json.lock.<uuid>` draft behind. Needs `npm run build` (the killed waiter is a process).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useExportFixture } from '../helpers/export-fixture.js';
import { idsOfNdjson, storedIds, waitFor } from '../helpers/logs.js';

const fx = useExportFixture({ seed: 6, events: 300, historySpan: 3600 }, 'takeover');
const BIN = fileURLToPath(new URL('../../bin/kitsu-tail.js', import.meta.url));
const exportRun = () => fx.exportRun();
const lockOf = (host: string, startedMs: number, pid = 4242) =>
  JSON.stringify({ pid, host, processStart: null, startedAt: new Date(startedMs).toISOString(), token: 'theirs' });

describe('a lock left on another host', () => {
  it('is taken over, with a warning, once untouched for over an hour; a younger one is not', async () => {
    const lock = `${fx.state}.lock`;
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
    expect(old.stderr).toContain(
      `warning: took over ${lock}, left by pid 4242 on cronjob-pod-a1b2c (started ${new Date(twoHoursAgo).toISOString()}) and untouched for over an hour`,
    );
    expect(idsOfNdjson(readFileSync(fx.out, 'utf8'))).toEqual(storedIds(fx.sandbox));
    expect(readdirSync(fx.dir).sort()).toEqual(['events.ndjson', 'state.json']);
  });

  it('started long ago but touched lately (its run lives and shows it) is not taken over', async () => {
    const lock = `${fx.state}.lock`;
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
      writeFileSync(
        `${fx.state}.lock`,
        JSON.stringify({
          pid: holder.pid,
          host: hostname(),
          processStart: null,
          startedAt: new Date().toISOString(),
          token: 'x',
        }),
      );
      const waiter = spawn(process.execPath, [BIN, 'logs', '--checkpoint', fx.state, '--output', fx.out], {
        env: fx.admin,
        stdio: 'ignore',
      });
      // A draft whose holder line is written (killed between creating the file and writing it,
      // a waiter leaves an empty draft, which is kept until it is old enough to be judged).
      const written = (name: string) => {
        if (!/^state\.json\.lock\.[0-9a-f-]{36}$/.test(name)) return false;
        try {
          return readFileSync(join(fx.dir, name), 'utf8').endsWith('}\n');
        } catch {
          return false;
        }
      };
      await waitFor(() => readdirSync(fx.dir).some(written), 'the waiter to write its draft');
      waiter.kill('SIGKILL');
      await new Promise((resolve) => waiter.once('exit', resolve));
      expect(readdirSync(fx.dir).filter((name) => name.startsWith('state.json.lock.'))).toHaveLength(1);
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
      const next = await exportRun();
      expect(next.code, next.stderr).toBe(0);
      expect(readdirSync(fx.dir).sort()).toEqual(['events.ndjson', 'state.json']);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
