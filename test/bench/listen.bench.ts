/**
 * `listen --json` against a bare socket.io-client, in one run, as ratios (no duration is
 * asserted). Both are child processes whose stdout is a pipe this process drains, fed by the
 * sandbox in this process:
 * (a) throughput: a burst of events emitted at once, events a second until the last line;
 * (b) latency: events emitted one at a time, from emit to the line on stdout, p50 and p99.
 * The bare client prints `{"name","data"}` per event and does nothing else: the ratio is the
 * cost of records, filters, the backfill ledger and the writer. Run with `npm run bench`.
 */
import { performance } from 'node:perf_hooks';
import { it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { BARE_SOCKET_CLIENT, BIN, waitUntil } from '../helpers/listen.js';
import { startLineClient, type LineClient } from '../helpers/line-client.js';

const BURST = 20_000;
const LATENCY_EVENTS = 400;
const LATENCY_GAP_MS = 10;
const ROUNDS = 3;
const WARM_UP = 5_000;

async function startClient(sandbox: Sandbox, kind: 'ours' | 'bare'): Promise<LineClient> {
  const bot = sandbox.control.createBot('admin');
  const env = { ...process.env, KITSU_HOST: sandbox.url, KITSU_TOKEN: bot.token, NO_COLOR: '1' };
  const args = kind === 'ours' ? [BIN, 'listen', '--json'] : ['--input-type=module', '-e', BARE_SOCKET_CLIENT];
  const client = await startLineClient(sandbox, args, env, kind);
  // Warm up, so that neither is measured while its code is still being compiled.
  let warm = 0;
  client.onLine = () => (warm += 1);
  for (let i = 0; i < WARM_UP; i += 1) sandbox.control.emit('main:test', { seq: -1 });
  await waitUntil(() => warm === WARM_UP, `${kind} to warm up`);
  return client;
}

async function throughput(sandbox: Sandbox, kind: 'ours' | 'bare'): Promise<number> {
  const client = await startClient(sandbox, kind);
  try {
    let received = 0;
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    client.onLine = () => {
      received += 1;
      if (received === BURST) done();
    };
    const start = performance.now();
    for (let i = 0; i < BURST; i += 1)
      sandbox.control.emit('task:update', { task_id: `t${i % 500}`, project_id: 'p', seq: i });
    await all;
    return BURST / ((performance.now() - start) / 1000);
  } finally {
    await client.stop();
  }
}

async function latency(sandbox: Sandbox, kind: 'ours' | 'bare'): Promise<number[]> {
  const client = await startClient(sandbox, kind);
  try {
    const sentAt = new Map<number, number>();
    const latencies: number[] = [];
    client.onLine = (line) => {
      const seq = (JSON.parse(line) as { data: { seq: number } }).data.seq;
      const at = sentAt.get(seq);
      if (at !== undefined) latencies.push(performance.now() - at);
    };
    for (let i = 0; i < LATENCY_EVENTS; i += 1) {
      sentAt.set(i, performance.now());
      sandbox.control.emit('task:update', { task_id: `t${i}`, project_id: 'p', seq: i });
      await new Promise((resolve) => setTimeout(resolve, LATENCY_GAP_MS));
    }
    await waitUntil(() => latencies.length === LATENCY_EVENTS, 'every latency sample');
    return latencies.sort((a, b) => a - b);
  } finally {
    await client.stop();
  }
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

it('listen --json against a bare socket.io-client: throughput and latency', async () => {
  const sandbox = await startSandbox({ seed: 1 });
  try {
    const rates = { ours: [] as number[], bare: [] as number[] };
    const lat = { ours: [] as number[], bare: [] as number[] };
    // Alternate, so that the machine's noise falls on both alike.
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const kind of ['bare', 'ours'] as const) rates[kind].push(await throughput(sandbox, kind));
      for (const kind of ['bare', 'ours'] as const) lat[kind].push(...(await latency(sandbox, kind)));
    }
    const best = (xs: number[]) => Math.max(...xs);
    lat.ours.sort((a, b) => a - b);
    lat.bare.sort((a, b) => a - b);
    const p = (kind: 'ours' | 'bare', q: number) => percentile(lat[kind], q);
    console.log(
      [
        `throughput, burst of ${BURST} (best of ${ROUNDS}):`,
        `  bare socket.io-client: ${Math.round(best(rates.bare))} events/s`,
        `  kitsu-tail listen --json: ${Math.round(best(rates.ours))} events/s  ratio ${(best(rates.ours) / best(rates.bare)).toFixed(2)}`,
        `latency emit → stdout line (${lat.bare.length} events each, ${LATENCY_GAP_MS} ms apart):`,
        `  bare: p50 ${p('bare', 50).toFixed(2)} ms  p99 ${p('bare', 99).toFixed(2)} ms`,
        `  ours: p50 ${p('ours', 50).toFixed(2)} ms  p99 ${p('ours', 99).toFixed(2)} ms` +
          `  ratio p50 ${(p('ours', 50) / p('bare', 50)).toFixed(2)}  p99 ${(p('ours', 99) / p('bare', 99)).toFixed(2)}`,
      ].join('\n'),
    );
  } finally {
    await sandbox.close();
  }
});
