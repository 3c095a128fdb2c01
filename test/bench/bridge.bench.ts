/**
 * The bridge against the sandbox and a real redis-server, in one run, as ratios (no duration
 * is asserted):
 * (a) backlog: the built bridge filling an empty stream with a 200,000-event log, against the
 *     built `logs --all --json > /dev/null` over the same log, both from process start to the
 *     last event; printed as the bridge's rate over that of logs (target ≥ 0.8);
 * (b) live: 100 events a second emitted by the sandbox for 15 s while the bridge follows;
 *     the latency from emit() to the entry arriving at a blocked XREAD, its p50 and p99
 *     printed over their targets (300 ms and 1 s: ≤ 1.0 meets them).
 * Run with `npm run bench` (which builds first), or
 * `npm run build && npx vitest run --config vitest.bench.config.ts test/bench/bridge.bench.ts`.
 */
import { spawn } from 'node:child_process';
import { it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { BIN, sleepMs, spawnCli } from '../helpers/bus.js';
import { botEnv } from '../helpers/logs.js';
import { processCpuMs } from '../helpers/proc-cpu.js';
import { plainClient, startRedis, type PlainClient } from '../helpers/redis.js';
import { tempConfigDir } from '../helpers/run-cli.js';

const BACKLOG = 200_000;
const REPEATS = Number(process.env.BRIDGE_BENCH_REPEATS ?? 2);
/** A folder: the bridge of each backlog run writes a CPU profile there (node --cpu-prof), logs in logs/. */
const PROFILE_DIR = process.env.BRIDGE_BENCH_PROFILE;

/** CPU seconds (user + system) a process has used so far, from /proc; null elsewhere. */
function cpuSeconds(pid: number | undefined): number | null {
  const ms = processCpuMs(pid);
  return ms === null ? null : ms / 1000;
}

/** CPU seconds of this process (the sandbox serves from here). */
function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

const fmt = (seconds: number | null) => (seconds === null ? '?' : `${seconds.toFixed(1)} s`);

function timeLogs(env: Record<string, string>): Promise<number> {
  const started = performance.now();
  const sandboxCpu = ownCpuSeconds();
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}/logs`] : [];
  const child = spawn(process.execPath, [...profile, BIN, 'logs', '--all', '--json'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  // /proc is gone once it exits: sampled meanwhile (up to 50 ms short).
  let logsCpu: number | null = null;
  const sampler = setInterval(() => (logsCpu = cpuSeconds(child.pid) ?? logsCpu), 50);
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      const elapsed = performance.now() - started;
      clearInterval(sampler);
      console.log(
        `  CPU of logs --all: logs ${fmt(logsCpu)}, sandbox (this process) ${fmt(ownCpuSeconds() - sandboxCpu)}`,
      );
      if (code === 0) resolve(elapsed);
      else reject(new Error(`logs exited ${code}: ${stderr}`));
    }),
  );
}

async function timeBridge(
  env: Record<string, string>,
  url: string,
  client: PlainClient,
  stream: string,
  total: number,
  redisPid: number | undefined,
): Promise<number> {
  const started = performance.now();
  const redisCpu = cpuSeconds(redisPid);
  const sandboxCpu = ownCpuSeconds();
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const bridge = spawnCli(['bridge', url, '--stream', stream], env, 'ignore', profile);
  try {
    for (;;) {
      const length = Number(await client.sendCommand(['XLEN', stream]));
      if (length >= total) {
        const elapsed = performance.now() - started;
        const redisNow = cpuSeconds(redisPid);
        console.log(
          `  CPU while bridging: bridge ${fmt(cpuSeconds(bridge.process.pid))}, ` +
            `redis-server ${fmt(redisNow === null || redisCpu === null ? null : redisNow - redisCpu)}, ` +
            `sandbox (this process) ${fmt(ownCpuSeconds() - sandboxCpu)}`,
        );
        return elapsed;
      }
      if (bridge.process.exitCode !== null) throw new Error(`bridge exited: ${bridge.stderr()}`);
      await sleepMs(20);
    }
  } finally {
    bridge.process.kill('SIGINT');
    await bridge.exited;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

it('bridges a backlog at the rate of logs --all, and live events within the latency targets', async () => {
  const config = tempConfigDir();
  const redis = await startRedis();
  const client = await plainClient(redis.url);
  let sandbox: Sandbox | null = null;
  try {
    sandbox = await startSandbox({ seed: 21, events: BACKLOG, historySpan: 30 * 86_400 });
    const env = { ...botEnv(sandbox, 'admin', config.dir), PATH: process.env.PATH ?? '' };
    const ratios: number[] = [];
    for (let i = 0; i < REPEATS; i += 1) {
      const logsMs = await timeLogs(env);
      const bridgeMs = await timeBridge(env, redis.url, client, `backlog-${i}`, BACKLOG, redis.process.pid);
      await client.sendCommand(['DEL', `backlog-${i}`]);
      ratios.push(logsMs / bridgeMs);
      console.log(
        `backlog run ${i + 1}: logs --all --json ${Math.round(logsMs)} ms, bridge ${Math.round(bridgeMs)} ms`,
      );
    }
    const best = Math.max(...ratios);
    // BRIDGE_BENCH_REPEATS=0: the live part alone.
    if (REPEATS > 0)
      console.log(
        `backlog of ${BACKLOG} events: bridge rate / logs --all rate = ${ratios.map((r) => r.toFixed(2)).join(', ')} (best ${best.toFixed(2)}; target ≥ 0.80)`,
      );

    // (b) live latency at 100 events a second.
    const stream = 'live';
    const bridge = spawnCli(['bridge', redis.url, '--stream', stream, '--since', '1s'], env);
    while (!bridge.stderr().includes('caught up')) await sleepMs(20);
    const emittedAt = new Map<string, number>();
    const latencies: number[] = [];
    const reader = await plainClient(redis.url);
    let reading = true;
    const readLoop = (async () => {
      // From the start: the stream holds the few events of --since 1s.
      let last = '0-0';
      while (reading) {
        const reply = (await reader.sendCommand(['XREAD', 'BLOCK', '200', 'STREAMS', stream, last])) as
          [string, [string, string[]][]][] | null;
        const now = performance.now();
        for (const [, entries] of reply ?? []) {
          for (const [id, flat] of entries) {
            last = id;
            const data = JSON.parse(flat[flat.indexOf('data') + 1]!) as { task_id?: string };
            const at = data.task_id ? emittedAt.get(data.task_id) : undefined;
            if (at !== undefined) latencies.push(now - at);
          }
        }
      }
    })();
    const seconds = 15;
    const project = sandbox.projects[0]!.id;
    const startedLive = performance.now();
    for (let n = 0; n < seconds * 100; n += 1) {
      // On schedule: one every 10 ms from the start, whatever each emit took.
      const waitMs = n * 10 - (performance.now() - startedLive);
      if (waitMs > 0) await sleepMs(waitMs);
      const marker = `bench-${n}`;
      emittedAt.set(marker, performance.now());
      sandbox.control.emit('task:update', { task_id: marker }, { projectId: project });
    }
    const deadline = performance.now() + 10_000;
    while (latencies.length < emittedAt.size && performance.now() < deadline) await sleepMs(50);
    reading = false;
    await readLoop;
    await reader.close();
    bridge.process.kill('SIGINT');
    await bridge.exited;
    const sorted = [...latencies].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    console.log(
      `live at 100 events/s for ${seconds} s: ${latencies.length} of ${emittedAt.size} arrived; ` +
        `p50 ${Math.round(p50)} ms = ${(p50 / 300).toFixed(2)} of the 300 ms target, p99 ${Math.round(p99)} ms = ${(p99 / 1000).toFixed(2)} of the 1 s target`,
    );
  } finally {
    await client.close();
    await redis.stop();
    await sandbox?.close();
    config.cleanup();
  }
});
