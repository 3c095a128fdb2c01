/**
 * `logs --stats` and `logs --count-by` against the sandbox, in one run, as ratios (no duration
 * is asserted): the memory they keep over 10k and over 100k events of the same range, and what
 * a summary costs over printing the same events as NDJSON (its duration, and its CPU time, which
 * a loaded machine disturbs less).
 *
 * --count-by name keeps a count a name: its kept heap should not grow with the events (ratio
 * ~1.0). --stats also keeps a count an entity and person, and the name resolver's cache of the
 * tasks the events name: that grows with the production (the sandbox's grows with its
 * history), not with the number of events read.
 * Run with `npm run bench` (which builds first).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import { botEnv } from '../helpers/logs.js';
import { measureChild, type ChildCost } from '../helpers/child-memory.js';

const BIN = process.env.KITSU_TAIL_BIN ?? join(import.meta.dirname, '..', '..', 'bin', 'kitsu-tail.js');

function measure(args: string[], env: Record<string, string>, dir: string): Promise<ChildCost> {
  return measureChild([BIN, ...args], env, dir);
}

async function run(events: number): Promise<Record<string, ChildCost>> {
  const sandbox = await startSandbox({ seed: 1, events, historySpan: 30 * 86_400 });
  const dir = mkdtempSync(join(tmpdir(), 'kitsu-tail-bench-'));
  try {
    const env = botEnv(sandbox, 'admin', dir);
    return {
      json: await measure(['logs', '--all', '--json'], env, dir),
      countBy: await measure(['logs', '--all', '--count-by', 'name', '--json'], env, dir),
      // The second --stats run finds the tasks in the disk cache, as a daily run would.
      statsCold: await measure(['logs', '--all', '--stats', '--json'], env, dir),
      stats: await measure(['logs', '--all', '--stats', '--json'], env, dir),
    };
  } finally {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

it('logs --stats / --count-by: kept memory over 10k and 100k events, and cost over --json', async () => {
  const small = await run(10_000);
  const large = await run(100_000);
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  const row = (label: string, key: string) =>
    `    ${label.padEnd(26)} kept heap ${mb(small[key]!.liveHeapBytes)} → ${mb(large[key]!.liveHeapBytes)} (ratio ${(large[key]!.liveHeapBytes / small[key]!.liveHeapBytes).toFixed(2)}), ` +
    `time vs --json at 100k ${(large[key]!.ms / large.json!.ms).toFixed(2)}, CPU ${(large[key]!.cpuMs / large.json!.cpuMs).toFixed(2)}`;
  console.log(
    [
      'logs over 10k → 100k events (kept heap: largest heap after a full GC):',
      row('--all --json', 'json'),
      row('--count-by name --json', 'countBy'),
      row('--stats --json (cold cache)', 'statsCold'),
      row('--stats --json (warm cache)', 'stats'),
    ].join('\n'),
  );
});
