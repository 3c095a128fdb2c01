/**
 * For the benchmarks: run a node child and learn what it cost, from inside it. A module
 * preloaded into the child writes its peak RSS (kB) and the largest heap it kept after a full
 * garbage collection (bytes: what it really holds, free of V8's heap sizing) to $RSS_FILE as
 * it exits, and the CPU time it used (steadier than its duration on a loaded machine).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const RECORD_MEMORY =
  'data:text/javascript,' +
  encodeURIComponent(`
    import { writeFileSync } from 'node:fs';
    import { PerformanceObserver } from 'node:perf_hooks';
    import v8 from 'node:v8';
    let live = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (entry.detail?.kind === 4) live = Math.max(live, v8.getHeapStatistics().used_heap_size);
      }
    }).observe({ entryTypes: ['gc'] });
    process.on('exit', () => {
      const usage = process.resourceUsage();
      writeFileSync(process.env.RSS_FILE, JSON.stringify({ rss: usage.maxRSS, live, cpuUs: usage.userCPUTime + usage.systemCPUTime }));
    });
  `);

export interface ChildCost {
  ms: number;
  peakRssKb: number;
  liveHeapBytes: number;
  /** User and system CPU time, ms. */
  cpuMs: number;
  stderr: string;
}

/** `node <args>` with the memory recorder preloaded; rejects when it exits other than 0. `dir`: where its figures are written. */
export function measureChild(args: string[], env: Record<string, string>, dir: string): Promise<ChildCost> {
  const rssFile = join(dir, `rss-${Math.random().toString(36).slice(2)}`);
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', RECORD_MEMORY, ...args], {
    env: { ...env, RSS_FILE: rssFile },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`));
      else {
        const memory = JSON.parse(readFileSync(rssFile, 'utf8')) as { rss: number; live: number; cpuUs: number };
        resolve({ ms, peakRssKb: memory.rss, liveHeapBytes: memory.live, cpuMs: memory.cpuUs / 1000, stderr });
      }
    });
  });
}
