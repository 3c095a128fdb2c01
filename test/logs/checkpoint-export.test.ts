/**
 * `logs --checkpoint FILE [--output FILE]` in-process: resuming, repairing what a killed run
 * left, refusing checkpoints that are not its own, the lock, and stdout mode.
 */
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InterruptedError, OutputClosedError } from '../../src/errors.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { botEnv, idsOfNdjson, secondOfStored, storedIds, waitFor } from '../helpers/logs.js';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';

let sandbox: Sandbox;
let config: ReturnType<typeof tempConfigDir>;
let admin: Record<string, string>;
let dir: string;
let state: string;
let out: string;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 5, events: 4000, historySpan: 2 * 86_400 });
  config = tempConfigDir();
  admin = botEnv(sandbox, 'admin', config.dir);
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kitsu-tail-cp-'));
  state = join(dir, 'state.json');
  out = join(dir, 'events.ndjson');
  return () => rmSync(dir, { recursive: true, force: true });
});

afterAll(async () => {
  await sandbox?.close();
  config?.cleanup();
});

const logs = (argv: string[], extra: Parameters<typeof runCli>[1] = {}) =>
  runCli(['logs', ...argv], { env: admin, ...extra });
const exportRun = (...argv: string[]) => logs(['--checkpoint', state, '--output', out, ...argv]);

describe('logs --checkpoint --output', () => {
  it('starts at --since, then appends only what is new, each event once', async () => {
    const since = secondOfStored(sandbox.control.log()[1000]!);
    const first = await exportRun('--since', new Date(since * 1000).toISOString());
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('');
    expect(first.stderr).toMatch(/appended \d+ new events to .*events\.ndjson; checkpoint saved/);
    const fromSince = () => storedIds(sandbox, (e) => secondOfStored(e) >= since);
    expect(idsOfNdjson(readFileSync(out, 'utf8'))).toEqual(fromSince());

    sandbox.control.generate(1500); // more than a page, inside one second
    sandbox.control.generate(20);
    const second = await exportRun();
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('appended 1520 new events');
    expect(idsOfNdjson(readFileSync(out, 'utf8'))).toEqual(fromSince());

    const third = await exportRun('-q');
    expect(third.code).toBe(0);
    expect(third.stderr).toBe('');
    expect(idsOfNdjson(readFileSync(out, 'utf8'))).toEqual(fromSince());
    const saved = JSON.parse(readFileSync(state, 'utf8')) as Record<string, unknown>;
    expect(saved.committed_bytes).toBe(statSync(out).size);
    expect(saved.events).toBe(fromSince().length);
  });

  it('cuts back what a killed run appended after its last commit', async () => {
    expect((await exportRun()).code).toBe(0);
    const committed = readFileSync(out, 'utf8');
    // A killed run: half a line, and a whole line that was never committed.
    appendFileSync(out, `${committed.split('\n')[0]}\n{"id":"half-writ`);
    sandbox.control.generate(3);
    const result = await exportRun();
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/removed \d+ bytes that an interrupted run left/);
    expect(idsOfNdjson(readFileSync(out, 'utf8'))).toEqual(storedIds(sandbox));
  });

  it('appends after what the file already held on a first run, leaving that alone', async () => {
    writeFileSync(out, '{"id":"earlier, not ours"}\n');
    const kept = readFileSync(out, 'utf8');
    expect((await exportRun()).code).toBe(0);
    expect(readFileSync(out, 'utf8').startsWith(kept)).toBe(true);
    expect(idsOfNdjson(readFileSync(out, 'utf8').slice(kept.length))).toEqual(storedIds(sandbox));
  });

  it('refuses a checkpoint of other filters, another file or another host, and a damaged one, untouched', async () => {
    expect((await exportRun('task:*')).code).toBe(0);
    const before = readFileSync(state, 'utf8');
    const filters = await exportRun('comment:*');
    expect(filters.code).toBe(2);
    expect(filters.stderr).toContain('made with other filters (patterns task:*)');
    const otherFile = await logs(['--checkpoint', state, '--output', join(dir, 'other.ndjson'), 'task:*']);
    expect(otherFile.code).toBe(2);
    expect(otherFile.stderr).toMatch(/it records an export to .*events\.ndjson/);
    const toStdout = await logs(['--checkpoint', state, 'task:*']);
    expect(toStdout.code).toBe(2);
    const other = await startSandbox({ seed: 5 });
    try {
      const elsewhere = await runCli(['logs', '--checkpoint', state, '--output', out, 'task:*'], {
        env: botEnv(other, 'admin', config.dir),
      });
      expect(elsewhere.code).toBe(2);
      expect(elsewhere.stderr).toMatch(/made against http:\/\/127\.0\.0\.1:\d+\/api, not/);
    } finally {
      await other.close();
    }
    expect(readFileSync(state, 'utf8')).toBe(before);
    writeFileSync(state, '{"format":"kitsu-tail checkpoint","version":1,"host":');
    const damaged = await exportRun('task:*');
    expect(damaged.code).toBe(2);
    expect(damaged.stderr).toMatch(
      /checkpoint .*state\.json cannot be used: it is not JSON \(restore it, or move it away/,
    );
    expect(readFileSync(state, 'utf8')).toContain('"host":');
  });

  it('waits a little for a run that holds the lock, then leaves the export to it (exit 0); says when one seems stuck; takes over a dead one', async () => {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    const lock = {
      pid: holder.pid,
      host: hostname(),
      processStart: null,
      startedAt: new Date().toISOString(),
      token: 'x',
    };
    try {
      writeFileSync(`${state}.lock`, JSON.stringify(lock));
      const busy = await exportRun();
      expect(busy.code).toBe(0);
      expect(busy.stderr).toContain(
        `another kitsu-tail run (pid ${holder.pid}, started ${lock.startedAt}) is exporting with this checkpoint; this run skipped`,
      );
      expect(existsSync(out)).toBe(false);
      expect(existsSync(state)).toBe(false);

      // Ctrl-C while waiting for the lock.
      const controller = new AbortController();
      const interrupted = logs(['--checkpoint', state, '--output', out], { signal: controller.signal });
      await waitFor(
        () => readdirSync(dir).some((name) => name.startsWith('state.json.lock.')),
        'the run to try the lock',
      );
      controller.abort(new InterruptedError());
      expect((await interrupted).code).toBe(130);

      writeFileSync(
        `${state}.lock`,
        JSON.stringify({ ...lock, startedAt: new Date(Date.now() - 2 * 3_600_000).toISOString() }),
      );
      const stuck = await exportRun();
      expect(stuck.code).toBe(1);
      expect(stuck.stderr).toMatch(/has held .*state\.json\.lock since .*, over an hour: it may be stuck/);
      expect(existsSync(out)).toBe(false);

      // The holder dies while this run waits for it: this run takes over and exports.
      writeFileSync(`${state}.lock`, JSON.stringify(lock));
      const waiting = exportRun();
      await waitFor(
        () => readdirSync(dir).some((name) => name.startsWith('state.json.lock.')),
        'the run to try the lock',
      );
      holder.kill('SIGKILL');
      const after = await waiting;
      expect(after.code).toBe(0);
      expect(after.stderr).not.toContain('skipped');
      expect(idsOfNdjson(readFileSync(out, 'utf8'))).toEqual(storedIds(sandbox));
      expect(existsSync(`${state}.lock`)).toBe(false);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('keeps the whole windows it wrote when interrupted (Ctrl-C: exit 130), and the next run goes on', async () => {
    // Slow pages, so that the interruption lands in the middle of the export.
    sandbox.control.generate(6000); // beyond one window
    const restore = sandbox.control.failRoutes({ path: /^data\/events\/last/, mode: { kind: 'slow', delayMs: 100 } });
    const controller = new AbortController();
    let interrupted;
    try {
      const running = logs(['--checkpoint', state, '--output', out], { signal: controller.signal });
      // Interrupt once a first window is in the file.
      const started = Date.now();
      while (!(existsSync(out) && statSync(out).size > 0) && Date.now() - started < 30_000) {
        await new Promise((r) => setTimeout(r, 10));
      }
      controller.abort(new InterruptedError());
      interrupted = await running;
    } finally {
      restore();
    }
    expect(interrupted.code).toBe(130);
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { committed_bytes: number; events: number };
    expect(interrupted.stderr).toContain(
      `interrupted: the ${saved.events} new events appended to ${out} are committed; the next run goes on from there`,
    );
    expect(saved.events).toBeGreaterThan(0);
    expect(saved.events).toBeLessThan(storedIds(sandbox).length);
    expect(saved.committed_bytes).toBe(statSync(out).size);
    expect(idsOfNdjson(readFileSync(out, 'utf8'))).toEqual(storedIds(sandbox).slice(0, saved.events));
    const rest = await exportRun();
    expect(rest.code).toBe(0);
    expect(idsOfNdjson(readFileSync(out, 'utf8'))).toEqual(storedIds(sandbox));
  });

  it('names the file and the problem when --checkpoint or --output cannot be used (exit 2), creating nothing', async () => {
    const missing = join(dir, 'no-such-folder');
    const cases: [string[], string][] = [
      [
        ['--checkpoint', join(missing, 'state.json'), '--output', out],
        `--checkpoint ${join(missing, 'state.json')}: no such folder: ${missing} (create it, or give a file in a folder that exists)`,
      ],
      [
        ['--checkpoint', dir, '--output', out],
        `--checkpoint ${dir}: it is a folder (give a file in a folder that this account can write to)`,
      ],
      [
        ['--checkpoint', state, '--output', join(missing, 'events.ndjson')],
        `--output ${join(missing, 'events.ndjson')}: no such folder: ${missing} (create it, or give a file in a folder that exists)`,
      ],
      [
        ['--output', join(missing, 'deeper', 'events.ndjson')],
        `--output ${join(missing, 'deeper', 'events.ndjson')}: no such folder: ${missing} (create it, or give a file in a folder that exists)`,
      ],
    ];
    for (const [argv, message] of cases) {
      const result = await logs(argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toBe(`kitsu-tail: ${message}\n`);
    }
    expect(readdirSync(dir)).toEqual([]);
    const pipe = await logs(['--checkpoint', state, '--output', '/dev/null']);
    expect(pipe.code).toBe(2);
    expect(pipe.stderr).toMatch(
      /^kitsu-tail: --output \/dev\/null is not a regular file \(.*leave out --output to print to stdout\)\n$/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes no --limit, --reverse, --follow or a --format that cannot be appended to (json, table)', async () => {
    for (const extra of [['--limit', '5'], ['--reverse'], ['--follow'], ['--format', 'json'], ['--format', 'table']]) {
      const result = await exportRun(...extra);
      expect(result.code, extra.join(' ')).toBe(2);
    }
  });
});

describe('logs --checkpoint without --output', () => {
  it('prints what is new and advances only after stdout took it all', async () => {
    const controller = new AbortController();
    let chunks = 0;
    // The reader goes away after the first records, as `| head` would.
    const cut = await logs(['--checkpoint', state], {
      signal: controller.signal,
      onStdout: () => {
        chunks += 1;
        if (chunks === 3) controller.abort(new OutputClosedError());
      },
    });
    expect(cut.code).toBe(0);
    expect(existsSync(state)).toBe(false);

    const first = await logs(['--checkpoint', state]);
    expect(first.code).toBe(0);
    expect(idsOfNdjson(first.stdout)).toEqual(storedIds(sandbox));
    const fresh = sandbox.control.generate(4).map((e) => e.id);
    const second = await logs(['--checkpoint', state]);
    expect(idsOfNdjson(second.stdout)).toEqual(fresh);
  });
});
