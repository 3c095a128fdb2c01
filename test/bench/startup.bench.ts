/**
 * Start-up cost: `kitsu-tail --version`, `--help` and `__complete` (what a TAB runs) against
 * a bare `node -e ''` in the same run, so the ratio says what the program adds on top of the
 * runtime whatever the machine.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'vitest';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'kitsu-tail.js');
const runs = 20;

function medianMs(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, args, { stdio: 'ignore', env });
    if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}`);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

it('start-up of --version, --help and __complete relative to a bare node', () => {
  // Interleave nothing: warm the file cache once, then measure each in turn.
  medianMs([bin, '--version']);
  const bare = medianMs(['-e', '']);
  const version = medianMs([bin, '--version']);
  const help = medianMs([bin, '--help']);
  // An empty config folder: the cost of the program, not of a particular cache.
  const complete = medianMs([bin, '__complete', 'events', '--', 'task:'], {
    ...process.env,
    KITSU_TAIL_CONFIG_DIR: join(import.meta.dirname, 'no-such-config'),
  });
  console.log(
    [
      `node -e '':            ${bare.toFixed(1)} ms (median of ${runs})`,
      `kitsu-tail --version: ${version.toFixed(1)} ms  ratio ${(version / bare).toFixed(2)}`,
      `kitsu-tail --help:    ${help.toFixed(1)} ms  ratio ${(help / bare).toFixed(2)}`,
      `kitsu-tail __complete events: ${complete.toFixed(1)} ms  ratio ${(complete / bare).toFixed(2)}`,
    ].join('\n'),
  );
});
