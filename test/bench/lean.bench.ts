/**
 * What a command costs in time and memory, against references measured in the same run, with
 * the targets beside each ratio (nothing is asserted). Run with `npm run bench`.
 *
 * - One-shot commands (`--version`, `--help`, `logs --limit 1 --json`, `whoami`) against
 *   `node -e 0`: median wall time of interleaved runs, and peak RSS, which each child reports
 *   itself at exit through a preload (report-rss.mjs).
 * - `listen --json` against a bare socket.io-client consumer: RSS once connected and idle;
 *   peak RSS and CPU time per event while a burst of events arrives as fast as the sandbox
 *   sends them. Read from /proc, so Linux only.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { loginWithToken } from '../helpers/login.js';
import { BARE_SOCKET_CLIENT, BIN, waitUntil } from '../helpers/listen.js';
import { startLineClient } from '../helpers/line-client.js';
import { processCpuMs } from '../helpers/proc-cpu.js';
import { tempConfigDir } from '../helpers/run-cli.js';

// KITSU_TAIL_BIN measures another build instead of this one; KITSU_TAIL_BEFORE measures another
// build beside this one in the same run (listen only), for before/after comparisons on a noisy machine.
const KITSU_TAIL = process.env.KITSU_TAIL_BIN ?? BIN;
const BEFORE = process.env.KITSU_TAIL_BEFORE;
const RUNS = 15;
const BURST = 40_000;
const REPORT_RSS = join(import.meta.dirname, 'report-rss.mjs');
const MiB = 1024 * 1024;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratio = (a: number, b: number): string => (a / b).toFixed(2);

interface OneShot {
  label: string;
  args: string[];
  wallMs: number[];
  rssBytes: number[];
}

// Not spawnSync: the sandbox runs in this process and must go on answering meanwhile.
async function runOnce(shot: OneShot, env: NodeJS.ProcessEnv, rssFile: string): Promise<void> {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, ['--import', REPORT_RSS, ...shot.args], {
    env: { ...env, KITSU_TAIL_RSS_FILE: rssFile },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (code !== 0) throw new Error(`${shot.label} exited ${code}: ${err}`);
  shot.wallMs.push(wall);
  shot.rssBytes.push(Number(readFileSync(rssFile, 'utf8')));
}

it('one-shot commands against node -e 0: wall time and peak RSS', async () => {
  const sandbox = await startSandbox({ seed: 1, events: 2000 });
  const config = tempConfigDir();
  try {
    // A saved profile, as a person or a cron job would have after `kitsu-tail login`.
    await loginWithToken(sandbox, sandbox.control.createBot('admin').token, config.dir);
    const env = { ...process.env, KITSU_TAIL_CONFIG_DIR: config.dir, NO_COLOR: '1' };
    const rssFile = join(config.dir, 'rss');
    const shots: OneShot[] = [
      { label: 'node -e 0', args: ['-e', '0'], wallMs: [], rssBytes: [] },
      { label: '--version', args: [KITSU_TAIL, '--version'], wallMs: [], rssBytes: [] },
      { label: '--help', args: [KITSU_TAIL, '--help'], wallMs: [], rssBytes: [] },
      {
        label: 'logs --limit 1 --json',
        args: [KITSU_TAIL, 'logs', '--limit', '1', '--json'],
        wallMs: [],
        rssBytes: [],
      },
      { label: 'whoami', args: [KITSU_TAIL, 'whoami'], wallMs: [], rssBytes: [] },
    ];
    for (const shot of shots) await runOnce(shot, env, rssFile); // warm the file cache
    for (const shot of shots) shot.wallMs.length = shot.rssBytes.length = 0;
    // Interleaved, so that the machine's noise falls on each alike.
    for (let i = 0; i < RUNS; i += 1) for (const shot of shots) await runOnce(shot, env, rssFile);
    const base = median(shots[0]!.wallMs);
    const targets: Record<string, string> = {
      '--version': 'target ≤ 1.3',
      '--help': 'target ≤ 1.6',
      'logs --limit 1 --json': 'target ≤ 2.5, ≤ 70 MiB',
      whoami: 'target ≤ 2.5, ≤ 70 MiB',
    };
    const lines = shots.map((shot) => {
      const wall = median(shot.wallMs);
      const rss = median(shot.rssBytes) / MiB;
      const against = shot === shots[0] ? '' : `  ratio ${ratio(wall, base)}  (${targets[shot.label]})`;
      return `  ${shot.label.padEnd(24)} ${wall.toFixed(0).padStart(5)} ms  ${rss.toFixed(0).padStart(4)} MiB peak${against}`;
    });
    console.log([`one-shot commands, medians of ${RUNS} interleaved runs:`, ...lines].join('\n'));
  } finally {
    await sandbox.close();
    config.cleanup();
  }
});

interface ProcStatus {
  rss: number;
  hwm: number;
}

function procStatus(pid: number): ProcStatus {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

/** User plus system CPU time of a process so far, in ms. */
function cpuMs(pid: number): number {
  const ms = processCpuMs(pid);
  if (ms === null) throw new Error(`no CPU figure for process ${pid}`);
  return ms;
}

interface ListenFigures {
  idleRss: number;
  peakRss: number;
  cpuPerEventUs: number;
}

async function measureListen(sandbox: Sandbox, kind: 'ours' | 'bare' | 'before'): Promise<ListenFigures> {
  const bot = sandbox.control.createBot('admin');
  const env = { ...process.env, KITSU_HOST: sandbox.url, KITSU_TOKEN: bot.token, NO_COLOR: '1' };
  const args =
    kind === 'bare'
      ? ['--input-type=module', '-e', BARE_SOCKET_CLIENT]
      : [kind === 'ours' ? KITSU_TAIL : BEFORE!, 'listen', '--json'];
  const client = await startLineClient(sandbox, args, env, kind);
  const child = client.child;
  let lines = 0;
  client.onLine = () => (lines += 1);
  try {
    // Idle: what it holds once connected and settled.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const idleRss = procStatus(child.pid!).rss;
    const cpuBefore = cpuMs(child.pid!);
    for (let i = 0; i < BURST; i += 1)
      sandbox.control.emit('task:update', { task_id: `t${i % 500}`, project_id: 'p', seq: i });
    await waitUntil(() => lines >= BURST, `${kind} to print the burst`, 300_000);
    const cpu = cpuMs(child.pid!) - cpuBefore;
    return { idleRss, peakRss: procStatus(child.pid!).hwm, cpuPerEventUs: (cpu * 1000) / BURST };
  } finally {
    await client.stop();
  }
}

it('listen --json against a bare socket.io-client: idle RSS, peak RSS and CPU per event', async () => {
  const sandbox = await startSandbox({ seed: 1 });
  try {
    const bare = await measureListen(sandbox, 'bare');
    const before = BEFORE ? await measureListen(sandbox, 'before') : undefined;
    const ours = await measureListen(sandbox, 'ours');
    const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;
    const beside = before
      ? [
          `  before (${BEFORE}): idle ${mib(before.idleRss)}  peak ${mib(before.peakRss)}  CPU per event ${before.cpuPerEventUs.toFixed(1)} µs`,
          `  ours over before: idle ${ratio(ours.idleRss, before.idleRss)}  peak ${ratio(ours.peakRss, before.peakRss)}  CPU per event ${ratio(ours.cpuPerEventUs, before.cpuPerEventUs)}`,
        ]
      : [];
    console.log(
      [
        `listen against a bare socket.io-client (burst of ${BURST} events):`,
        `  idle RSS      bare ${mib(bare.idleRss)}  ours ${mib(ours.idleRss)}  ratio ${ratio(ours.idleRss, bare.idleRss)}  (target ≤ 1.3)`,
        `  peak RSS      bare ${mib(bare.peakRss)}  ours ${mib(ours.peakRss)}  ratio ${ratio(ours.peakRss, bare.peakRss)}  (target ≤ 1.5)`,
        `  CPU per event bare ${bare.cpuPerEventUs.toFixed(1)} µs  ours ${ours.cpuPerEventUs.toFixed(1)} µs  ratio ${ratio(ours.cpuPerEventUs, bare.cpuPerEventUs)}  (target ≤ 1.2)`,
        ...beside,
      ].join('\n'),
    );
  } finally {
    await sandbox.close();
  }
});
