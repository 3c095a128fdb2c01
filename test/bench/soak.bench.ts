/**
 * The soak: `listen --json` (a child process, the built bin/) against the sandbox for
 * SOAK_MINUTES (default 10) at SOAK_RATE events a second (default 500), with a stream restart
 * every minute and one 30-second outage (the stream down, the log polled) in the middle. At the
 * end, the stored events must equal what was printed, each exactly once, and the listener's RSS
 * after the first minute is compared with its RSS at the end (a ratio, printed; nothing about
 * time is asserted). Run with `npm run build && npx vitest run --config vitest.bench.config.ts
 * test/bench/soak.bench.ts`.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { EventRecord } from '../../src/core/record.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { BIN, botEnv, compareWithLog, keyOf, waitUntil } from '../helpers/listen.js';
import { tempConfigDir } from '../helpers/run-cli.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const RATE = Number(process.env.SOAK_RATE ?? 500);
const OUTAGE_MS = 30_000;
// KITSU_TAIL_BIN soaks another build (for before/after comparisons).
const KITSU_TAIL = process.env.KITSU_TAIL_BIN ?? BIN;
// For finding where memory goes: extra node flags for the listener (e.g. --heapsnapshot-signal=SIGUSR2)
// and the seconds into the run at which it is sent SIGUSR2 (heap snapshots land in SOAK_DIR).
const NODE_FLAGS = (process.env.SOAK_NODE_FLAGS ?? '').split(' ').filter(Boolean);
// More flags for the listener, e.g. --verbose.
const LISTEN_ARGS = (process.env.SOAK_LISTEN_ARGS ?? '').split(' ').filter(Boolean);
const SNAPSHOT_AT = (process.env.SOAK_SNAPSHOT_AT ?? '').split(',').filter(Boolean).map(Number);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rssKiB(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

it(
  `soak: ${MINUTES} min at ${RATE} events/s, a restart a minute, one 30 s outage`,
  async () => {
    const sandbox = await startSandbox({ seed: 99 });
    const tmp = tempConfigDir();
    const child = spawn(process.execPath, [...NODE_FLAGS, KITSU_TAIL, 'listen', '--json', ...LISTEN_ARGS], {
      env: { ...process.env, ...botEnv(sandbox, tmp.dir) } as NodeJS.ProcessEnv,
      stdio: 'pipe',
      cwd: process.env.SOAK_DIR ?? tmp.dir,
    });
    child.stdin.end();
    const records: EventRecord[] = [];
    let partial = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line) records.push(JSON.parse(line) as EventRecord);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
    try {
      await waitUntil(() => stderr.includes('connected to'), 'the listener to connect', 30_000);
      await waitUntil(() => sandbox.control.connectedSockets() >= 1, 'the socket to be counted');
      const from = sandbox.control.log().length;
      const startedAt = Date.now();
      const rss: { atS: number; kib: number }[] = [];
      const sampler = setInterval(() => {
        const kib = rssKiB(child.pid!);
        if (kib !== null) rss.push({ atS: Math.round((Date.now() - startedAt) / 1000), kib });
      }, 5_000);
      const snapshots = SNAPSHOT_AT.map((s) => setTimeout(() => child.kill('SIGUSR2'), s * 1000));
      sandbox.control.setRate(RATE);
      let restarts = 0;
      let outages = 0;
      const timeline: string[] = [];
      const mark = (what: string) => timeline.push(`${what} ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
      for (let minute = 1; minute <= MINUTES; minute += 1) {
        if (minute === Math.ceil(MINUTES / 2)) {
          // The outage: the stream answers 502 for 30 s, and the listener polls the log.
          await sleep(30_000 - 5_000);
          await sandbox.control.stopStream();
          mark('outage from');
          outages += 1;
          await sleep(OUTAGE_MS);
          sandbox.control.resumeStream();
          mark('to');
          await sleep(60_000 - 25_000 - OUTAGE_MS);
        } else {
          await sleep(60_000);
          await sandbox.control.restartStream();
          mark('restart');
          restarts += 1;
        }
      }
      sandbox.control.setRate(0);
      const stored = sandbox.control.log().slice(from);
      // Compared every 5 s, not every 20 ms: a comparison of 300,000 records blocks this process,
      // the sandbox's too, and the listener then took the stalled server for a dead one.
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline && compareWithLog(records, stored).missing.length > 0) await sleep(5_000);
      // A moment more, in which a wrong extra print would show.
      await sleep(5_000);
      clearInterval(sampler);
      for (const timer of snapshots) clearTimeout(timer);
      const { missing, extra } = compareWithLog(records, stored);
      const count = (list: string[]) => list.reduce((n, line) => n + Number(/×(\d+)$/.exec(line)?.[1] ?? 1), 0);
      const ids = records.filter((r) => r.id !== null).map((r) => r.id);
      const afterFirstMinute = rss.find((s) => s.atS >= 60)?.kib ?? rss[0]?.kib ?? 0;
      const last = rss[rss.length - 1]?.kib ?? 0;
      const peak = Math.max(...rss.filter((s) => s.atS >= 60).map((s) => s.kib));
      const figures = {
        minutes: MINUTES,
        rate: RATE,
        restarts,
        outages,
        reconnects: stderr.split('\n').filter((l) => /^(reconnected|back after)/.test(l)).length,
        stored: stored.length,
        printed: records.length,
        backfilled: records.filter((r) => r.source === 'backfill').length,
        lost: count(missing),
        doubled: count(extra),
        duplicateIds: ids.length - new Set(ids).size,
        rssAfter1MinMiB: +(afterFirstMinute / 1024).toFixed(1),
        rssPeakAfter1MinMiB: +(peak / 1024).toFixed(1),
        rssEndMiB: +(last / 1024).toFixed(1),
        rssEndOverAfter1Min: +(last / afterFirstMinute).toFixed(2),
      };
      console.log(`soak figures: ${JSON.stringify(figures)}`);
      const series = rss.filter((_, i) => i % 6 === 0).map((s) => `${s.atS}s ${(s.kib / 1024).toFixed(0)}`);
      console.log(`soak RSS (MiB) every 30 s: ${series.join(', ')}`);
      if (missing.length > 0 || extra.length > 0) {
        console.log(`timeline: ${timeline.join(', ')}`);
        // When each went wrong, against the run's restarts and outage (seconds from the start).
        const at = (line: string) =>
          stored
            .filter((e) => `${keyOf(e)} ×` === line.replace(/×\d+$/, '×'))
            .map((e) => `${((e.createdAtUs / 1000 - startedAt) / 1000).toFixed(1)} s`)
            .join(' ');
        for (const line of missing.slice(0, 10)) console.log(`missing: ${line.slice(0, 160)} stored at ${at(line)}`);
        for (const line of extra.slice(0, 10)) console.log(`extra: ${line.slice(0, 160)} stored at ${at(line)}`);
      }
      if (process.env.SOAK_DIR) writeFileSync(join(process.env.SOAK_DIR, 'listen-stderr.txt'), stderr);
      console.log(`soak stderr (last 40 lines):\n${stderr.trim().split('\n').slice(-40).join('\n')}`);
      expect({ lost: figures.lost, doubled: figures.doubled, duplicateIds: figures.duplicateIds }).toEqual({
        lost: 0,
        doubled: 0,
        duplicateIds: 0,
      });
    } finally {
      child.kill('SIGINT');
      await exited;
      await sandbox.close();
      tmp.cleanup();
    }
  },
  (MINUTES + 5) * 60_000,
);
