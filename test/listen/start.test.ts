/**
 * `listen` started before Kitsu is up keeps trying with back-off until it is, bounded by
 * --max-reconnects; a host that answers but is not Kitsu fails at once.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import { loginAs } from '../helpers/login.js';
import { startInProcess, waitUntil, type LiveRun } from '../helpers/listen.js';
import { tempConfigDir } from '../helpers/run-cli.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function start(argv: string[], env: Record<string, string>): LiveRun {
  const live = startInProcess(['listen', ...argv], env);
  cleanups.push(async () => {
    live.interrupt();
    await live.exit;
  });
  return live;
}

/** A profile logged in to a sandbox (seed 31) that is then stopped: its port is free again. */
async function loggedInThenDown(): Promise<{ dir: string; port: number }> {
  const tmp = tempConfigDir();
  cleanups.push(() => tmp.cleanup());
  const sandbox = await startSandbox({ seed: 31 });
  await loginAs(sandbox, sandbox.users.admin, tmp.dir);
  const port = sandbox.port;
  await sandbox.close();
  return { dir: tmp.dir, port };
}

describe('listen started before Kitsu is up', () => {
  it('keeps trying with back-off, then connects and prints events once Kitsu is up', async () => {
    const { dir, port } = await loggedInThenDown();
    const live = start(['--json', '--count', '1'], { KITSU_TAIL_CONFIG_DIR: dir, NO_COLOR: '1' });
    await live.waitForStderr(
      /^Kitsu not up since [\d:]+ \(cannot reach .*connection refused.*\); next try in [\d.]+ s$/m,
    );
    const sandbox = await startSandbox({ seed: 31, port });
    cleanups.push(() => sandbox.close());
    await live.waitForStderr('connected to', 60_000);
    await waitUntil(() => sandbox.control.connectedSockets() >= 1, 'the socket to be counted');
    sandbox.control.emit('task:update', { task_id: 'up', project_id: sandbox.projects[0]!.id });
    expect(await live.exit).toBe(0);
    expect(live.records().map((r) => r.data.task_id)).toEqual(['up']);
    // Told, not shouted: one line when it was not up, one when it is, however many tries between.
    const lines = live.stderr().split('\n');
    expect(lines.filter((l) => l.startsWith('Kitsu not up'))).toHaveLength(1);
    expect(lines.filter((l) => /^Kitsu up after \d+ s \(waited [\d:]+ to [\d:]+\)$/.test(l))).toHaveLength(1);
    expect(lines.findIndex((l) => l.startsWith('Kitsu up after'))).toBeLessThan(
      lines.findIndex((l) => l.startsWith('connected to')),
    );
  }, 90_000);

  it('gives up with exit 5 after --max-reconnects tries', async () => {
    const { dir } = await loggedInThenDown();
    const live = start(['--json', '--max-reconnects', '2', '--verbose'], { KITSU_TAIL_CONFIG_DIR: dir, NO_COLOR: '1' });
    expect(await live.exit).toBe(5);
    const err = live.stderr();
    // Two tries after the first, each in the --verbose detail; one line for a person.
    expect(err.match(/Kitsu is not up yet \(.*\); trying again in [\d.]+ s \(attempt [23]\)/g)).toHaveLength(2);
    expect(err.match(/^Kitsu not up since/gm)).toHaveLength(1);
    expect(err).toMatch(/Kitsu is not up \(.*connection refused.*\) and --max-reconnects 2 allows no more attempts/);
  }, 60_000);

  it('fails at once with exit 6 when the host answers but is not Kitsu', async () => {
    const { dir, port } = await loggedInThenDown();
    const notKitsu: Server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>router login</html>'),
    );
    await new Promise<void>((resolve) => notKitsu.listen(port, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => notKitsu.close(() => resolve())));
    expect((notKitsu.address() as AddressInfo).port).toBe(port);
    const live = start(['--json'], { KITSU_TAIL_CONFIG_DIR: dir, NO_COLOR: '1' });
    expect(await live.exit).toBe(6);
    expect(live.stderr()).not.toMatch(/not up/);
  });

  it('logs --follow waits the same way, bounded by its own --max-reconnects', async () => {
    const { dir, port } = await loggedInThenDown();
    const bounded = startInProcess(['logs', '--follow', '--json', '--max-reconnects', '1'], {
      KITSU_TAIL_CONFIG_DIR: dir,
      NO_COLOR: '1',
    });
    expect(await bounded.exit).toBe(5);
    expect(
      bounded.stderr().match(/^Kitsu not up since [\d:]+ \(.*connection refused.*\); next try in [\d.]+ s$/gm),
    ).toHaveLength(1);
    expect(bounded.stderr()).toMatch(/--max-reconnects 1 allows no more attempts/);
    const live = startInProcess(['logs', '--follow', '--json'], { KITSU_TAIL_CONFIG_DIR: dir, NO_COLOR: '1' });
    cleanups.push(async () => {
      live.interrupt();
      await live.exit;
    });
    await live.waitForStderr(/^Kitsu not up since/m);
    const sandbox = await startSandbox({ seed: 31, port });
    cleanups.push(() => sandbox.close());
    await live.waitForStderr('connected to', 60_000);
    expect(live.stderr()).toMatch(/^Kitsu up after \d+ s \(waited [\d:]+ to [\d:]+\)$/m);
  }, 90_000);
});
