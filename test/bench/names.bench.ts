/**
 * `listen --names --json` against `listen --json`, in one run, as ratios (no duration is
 * asserted), and the look-ups `--names` makes per 1000 events. Both are child processes on
 * the same profile folder, fed by the sandbox in this process:
 * (a) warm: the sandbox's generated history (status changes, comments, previews, deletions…)
 *     sent again live, after one `listen --names` run has seen it: each names run starts from
 *     the disk cache the one before left, as a second `listen` would;
 * (b) growing: fresh generated activity, which keeps adding assets, shots and their tasks, so
 *     that some look-ups are of objects nobody has seen yet.
 * (c) in one process, without the socket and the pipe: what --names adds to writing a record
 *     (look-up of known names and their JSON), warm, against writing it without names.
 * Run with `npm run bench`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { BIN, waitUntil } from '../helpers/listen.js';
import { processCpuMs } from '../helpers/proc-cpu.js';
import { startLineClient, type LineClient } from '../helpers/line-client.js';
import { Writable } from 'node:stream';
import type { EventRecord } from '../../src/core/record.js';
import { createNameResolver, recordNamer } from '../../src/kitsu/names.js';
import { openSession } from '../../src/kitsu/session.js';
import { createRecordWriter } from '../../src/output/writer.js';
import { testContext } from '../helpers/context.js';

const BURST = 20_000;
// Extra node flags for the listeners, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where time goes.
const NODE_FLAGS = (process.env.NAMES_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
/**
 * Events each listener gets before it is measured: as many as a burst, so that what is measured
 * is a listener that has run a while (its code compiled, as well as its cache warm), as a
 * `listen` runs for hours. With 2,000, a listener was still compiling the --names path during
 * the burst (the compiler's threads count in its CPU). `NAMES_BENCH_WARM_UP=2000` measures that.
 */
const WARM_UP = Number(process.env.NAMES_BENCH_WARM_UP ?? BURST);
const ROUNDS = 5;

type Kind = 'plain' | 'names';

/** What a burst sends: the stored history again (known objects), or new generated activity. */
type Feed = 'history' | 'growing';

function send(sandbox: Sandbox, feed: Feed, count: number): void {
  if (feed === 'growing') {
    sandbox.control.generate(count);
    return;
  }
  for (const row of sandbox.control.log().slice(0, count)) {
    sandbox.control.emit(row.name, row.data, { persist: false });
  }
}

async function startClient(sandbox: Sandbox, kind: Kind, env: Record<string, string>, feed: Feed): Promise<LineClient> {
  const args = [...NODE_FLAGS, BIN, 'listen', '--json', '--no-backfill', ...(kind === 'names' ? ['--names'] : [])];
  const client = await startLineClient(sandbox, args, { ...process.env, ...env }, kind);
  // Warm up on the same kind of activity: compiled code, and for --names a warm cache.
  let warm = 0;
  client.onLines = (count) => (warm += count);
  send(sandbox, feed, WARM_UP);
  await waitUntil(() => warm >= WARM_UP, `${kind} to warm up`, 120_000);
  return client;
}

/** Events a second over a burst, and the look-ups (API requests other than the log) it made. */
async function burst(
  sandbox: Sandbox,
  kind: Kind,
  env: Record<string, string>,
  feed: Feed,
): Promise<{ rate: number; lookUps: number; cpuUs: number }> {
  const client = await startClient(sandbox, kind, env, feed);
  try {
    let received = 0;
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    client.onLines = (count) => {
      received += count;
      if (received >= BURST) done();
    };
    const requestsBefore = sandbox.control.requests().length;
    const cpuBefore = processCpuMs(client.child.pid)!;
    const start = performance.now();
    send(sandbox, feed, BURST);
    await all;
    const rate = BURST / ((performance.now() - start) / 1000);
    const cpuUs = ((processCpuMs(client.child.pid)! - cpuBefore) * 1000) / BURST;
    const lookUps = sandbox.control
      .requests()
      .slice(requestsBefore)
      .filter((r) => r.path.startsWith('data/') && !r.path.startsWith('data/events')).length;
    return { rate, lookUps, cpuUs };
  } finally {
    await client.stop();
  }
}

it('listen --names --json against listen --json: throughput ratio and look-ups per 1000 events', async () => {
  const sandbox = await startSandbox({ seed: 1, events: BURST });
  const dir = mkdtempSync(join(tmpdir(), 'kitsu-tail-bench-'));
  try {
    const bot = sandbox.control.createBot('admin');
    const env = { KITSU_HOST: sandbox.url, KITSU_TOKEN: bot.token, KITSU_TAIL_CONFIG_DIR: dir, NO_COLOR: '1' };
    const lines: string[] = [];
    for (const feed of ['history', 'growing'] as const) {
      // Names runs fill the profile's cache, each from where the last one stopped (a run
      // moves on after 200 ms a look-up, so a cold one leaves some for the next); they are
      // not measured. Known objects are warm once a run asks nothing; a growing production
      // never is, so it gets one run.
      const warming: number[] = [];
      do warming.push((await burst(sandbox, 'names', env, feed)).lookUps);
      while (feed === 'history' && warming.at(-1)! > 0 && warming.length < 5);
      const rates: Record<Kind, number[]> = { plain: [], names: [] };
      // The listener's own CPU an event: what the ratio of rates also holds the sender's share of.
      const cpu: Record<Kind, number[]> = { plain: [], names: [] };
      const lookUps: number[] = [];
      // Alternate, so that the machine's noise falls on both alike.
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const kind of ['plain', 'names'] as const) {
          const result = await burst(sandbox, kind, env, feed);
          rates[kind].push(result.rate);
          cpu[kind].push(result.cpuUs);
          if (kind === 'names') lookUps.push(result.lookUps);
          if (kind === 'plain' && result.lookUps !== 0)
            throw new Error(`listen --json looked ${result.lookUps} names up`);
        }
      }
      const best = (xs: number[]) => Math.max(...xs);
      const least = (xs: number[]) => Math.min(...xs);
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
      const perThousand = (n: number) => ((n / BURST) * 1000).toFixed(1);
      lines.push(
        `${feed === 'history' ? '(a) known objects (the history again)' : '(b) growing production (new assets, shots, tasks)'}, burst of ${BURST} after ${WARM_UP} (best of ${ROUNDS}):`,
        `  listen --json:          ${Math.round(best(rates.plain))} events/s, CPU ${least(cpu.plain).toFixed(1)} µs an event`,
        `  listen --names --json:  ${Math.round(best(rates.names))} events/s, CPU ${least(cpu.names).toFixed(1)} µs an event  ratio ${(best(rates.names) / best(rates.plain)).toFixed(2)} (median of the rounds' ratios ${median(rates.names.map((r, i) => r / rates.plain[i]!)).toFixed(2)}), CPU ratio ${(least(cpu.names) / least(cpu.plain)).toFixed(2)}`,
        `  look-ups per 1000 events: warming runs ${warming.map(perThousand).join(', ')}; measured rounds ${lookUps.map(perThousand).join(', ')}`,
      );
    }
    console.log(lines.join('\n'));
  } finally {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

it('in one process: the cost of --names per record written, warm, against none', async () => {
  const sandbox = await startSandbox({ seed: 1, events: BURST });
  try {
    const bot = sandbox.control.createBot('admin');
    const stdout = Object.assign(new Writable({ write: (_chunk, _encoding, done) => done() }), { isTTY: false });
    const ctx = testContext({
      env: { KITSU_HOST: sandbox.url, KITSU_TOKEN: bot.token },
      stdout: stdout as never,
      globals: { color: 'never', format: 'ndjson' },
    });
    const session = await openSession(ctx);
    const resolver = createNameResolver(session);
    // Live records, as listen makes them: no id or author.
    const records: EventRecord[] = sandbox.control.log().map((e) => ({
      id: null,
      name: e.name,
      created_at: '2026-12-03T10:00:00Z',
      user_id: null,
      project_id: typeof e.data.project_id === 'string' ? e.data.project_id : null,
      data: e.data as Record<string, unknown>,
      source: 'live',
    }));
    for (const record of records) await resolver.resolve(record, { waitMs: 60_000 });
    const asked = resolver.requestCount();
    const perRecord = async (names: boolean): Promise<number> => {
      const writer = createRecordWriter(ctx, names ? { namer: recordNamer(resolver), attachNames: true } : {});
      const start = performance.now();
      // Windows of 100, as the live stream hands them over under load.
      for (let i = 0; i < records.length; i += 100) await writer.writeMany!(records.slice(i, i + 100));
      await writer.end();
      return ((performance.now() - start) * 1000) / records.length;
    };
    const times: Record<Kind, number[]> = { plain: [], names: [] };
    for (let round = 0; round < 8; round += 1)
      for (const kind of ['plain', 'names'] as const) times[kind].push(await perRecord(kind === 'names'));
    const best = (xs: number[]) => Math.min(...xs);
    console.log(
      [
        `(c) in one process, ${records.length} records written to a null stream (best of 8):`,
        `  without names: ${best(times.plain).toFixed(2)} µs a record; with --names: ${best(times.names).toFixed(2)} µs (+${(best(times.names) - best(times.plain)).toFixed(2)} µs); look-ups while writing: ${resolver.requestCount() - asked}`,
      ].join('\n'),
    );
    await resolver.close();
    await session.close();
  } finally {
    await sandbox.close();
  }
});
