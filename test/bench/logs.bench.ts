/**
 * `logs --all` against the sandbox, in one run, as ratios (no duration is asserted):
 * (a) the built program (`logs --all --json > /dev/null`) against a plain fetch loop that
 *     pages the same rows with the cursor and writes them as NDJSON: what reading oldest
 *     first in windows costs over the simplest newest-first loop;
 * (b) the program's peak RSS over 100k and over 1M events, for `logs --all` and for a first
 *     checkpoint export to a file: ~1.0 when memory does not grow with the number of events.
 * Run with `npm run bench` (which builds first). KITSU_TAIL_BIN=path/to/bin/kitsu-tail.js
 * measures another build instead, to compare before and after a change.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { botEnv } from '../helpers/logs.js';
import { measureChild, type ChildCost } from '../helpers/child-memory.js';

const BIN = process.env.KITSU_TAIL_BIN ?? join(import.meta.dirname, '..', '..', 'bin', 'kitsu-tail.js');
const REPEATS = 3;

/** The simplest correct reader: newest first by cursor, one JSON line a row. Prints its count on stderr. */
const FETCH_LOOP = `
const api = process.env.KITSU_HOST + '/api/data/events/last';
const headers = { Authorization: 'Bearer ' + process.env.KITSU_TOKEN };
let cursor = null, rows = 0;
for (;;) {
  const url = api + '?limit=1000' + (cursor ? '&cursor_event_id=' + cursor : '');
  const page = await (await fetch(url, { headers })).json();
  let text = '';
  for (const row of page) text += JSON.stringify(row) + '\\n';
  if (!process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
  rows += page.length;
  if (page.length < 1000) break;
  cursor = page[page.length - 1].id;
}
process.stderr.write(String(rows));
`;

const measure = measureChild;

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const perSecond = (events: number, ms: number): string =>
  `${Math.round(events / (ms / 1000)).toLocaleString('en-US')} events/s`;

async function withSandbox<T>(
  events: number,
  body: (sandbox: Sandbox, env: Record<string, string>, dir: string) => Promise<T>,
): Promise<T> {
  const sandbox = await startSandbox({ seed: 1, events, historySpan: 30 * 86_400 });
  const dir = mkdtempSync(join(tmpdir(), 'kitsu-tail-bench-'));
  try {
    return await body(sandbox, botEnv(sandbox, 'admin', dir), dir);
  } finally {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

it('logs --all: overhead over a plain fetch loop, and peak memory over 100k and 1M events', async () => {
  const lines: string[] = [];

  const overhead = await withSandbox(200_000, async (sandbox, env, dir) => {
    const events = sandbox.control.log().length;
    const tool: number[] = [];
    const loop: number[] = [];
    const asked = () => sandbox.control.requests().filter((r) => r.path === 'data/events/last').length;
    let requests = 0;
    for (let i = 0; i < REPEATS; i += 1) {
      const before = asked();
      tool.push((await measure([BIN, 'logs', '--all', '--json'], env, dir)).ms);
      requests = asked() - before;
      const baseline = await measure(['--input-type=module', '-e', FETCH_LOOP], env, dir);
      if (Number(baseline.stderr) !== events)
        throw new Error(`the fetch loop read ${baseline.stderr} rows of ${events}`);
      loop.push(baseline.ms);
    }
    return { events, tool: median(tool), loop: median(loop), requests };
  });
  lines.push(
    `(a) ${overhead.events.toLocaleString('en-US')} events, median of ${REPEATS}:`,
    `    logs --all --json   ${(overhead.tool / 1000).toFixed(2)} s  ${perSecond(overhead.events, overhead.tool)}`,
    `    plain fetch loop    ${(overhead.loop / 1000).toFixed(2)} s  ${perSecond(overhead.events, overhead.loop)}`,
    `    overhead ratio      ${(overhead.tool / overhead.loop).toFixed(2)}  (requests: logs ${overhead.requests}, the loop ${Math.ceil((overhead.events + 1) / 1000)})`,
  );

  type Peak = { peakRssKb: number; liveHeapBytes: number; ms: number };
  const summarize = (runs: ChildCost[]): Peak => ({
    peakRssKb: median(runs.map((r) => r.peakRssKb)),
    liveHeapBytes: median(runs.map((r) => r.liveHeapBytes)),
    ms: median(runs.map((r) => r.ms)),
  });
  const peak = async (events: number) =>
    withSandbox(events, async (_sandbox, env, dir) => {
      const all: ChildCost[] = [];
      const exported: ChildCost[] = [];
      for (let i = 0; i < 2; i += 1) {
        all.push(await measure([BIN, 'logs', '--all', '--json'], env, dir));
        const output = join(dir, `export-${i}`);
        exported.push(
          await measure(
            [BIN, 'logs', '-q', '--checkpoint', `${output}.json`, '--output', `${output}.ndjson`],
            env,
            dir,
          ),
        );
      }
      return { all: summarize(all), exported: summarize(exported) };
    });
  const small = await peak(100_000);
  const large = await peak(1_000_000);
  const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
  const row = (label: string, events: number, p: Peak) =>
    `    ${label}  ${mb(p.peakRssKb)}  ${mb(p.liveHeapBytes / 1024)}  (${perSecond(events, p.ms)})`;
  const ratio = (a: Peak, b: Peak) =>
    `RSS ${(b.peakRssKb / a.peakRssKb).toFixed(2)}, kept heap ${(b.liveHeapBytes / a.liveHeapBytes).toFixed(2)}`;
  lines.push(
    '(b) memory (peak RSS; largest heap kept after a full GC):',
    '    logs --all --json > /dev/null',
    row('100k events', 100_000, small.all),
    row('1M events  ', 1_000_000, large.all),
    `    ratio 1M/100k  ${ratio(small.all, large.all)}`,
    '    logs --checkpoint FILE --output FILE (a first export)',
    row('100k events', 100_000, small.exported),
    row('1M events  ', 1_000_000, large.exported),
    `    ratio 1M/100k  ${ratio(small.exported, large.exported)}`,
  );
  console.log(lines.join('\n'));
});
