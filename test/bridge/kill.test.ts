/**
 * Exactly once under SIGKILL: the built bridge is started and killed at random moments, over
 * 30 times, while the sandbox makes events (now and then a burst of more than a page in one
 * second). A last bridge runs until the stream holds the log. The stream must then equal the
 * log id by id: every stored event once, in the log's order. Needs `npm run build` first.
 */
import { expect, it } from 'vitest';
import { spawnCli, untilComplete, sleepMs } from '../helpers/bus.js';
import { botEnv, seeded, storedIds } from '../helpers/logs.js';
import { busSuite } from '../helpers/bus-suite.js';

const KILLS = 32;
const STREAM = '{kitsu}:events';

const bus = busSuite({ seed: 11, events: 5_000, historySpan: 86_400 });

it(
  'writes every stored event exactly once, in order, though killed with SIGKILL again and again',
  { timeout: 240_000 },
  async () => {
    const seed = Number(process.env.KILL_TEST_SEED ?? Date.now() % 100_000);
    const random = seeded(seed);
    const env = botEnv(bus.sandbox, 'admin', bus.config.dir);
    const args = ['bridge', bus.redis.url, '--lease', '500ms'];
    bus.sandbox.control.setRate(150);
    let kills = 0;
    let leading = 0;
    const failures: string[] = [];
    while (kills < KILLS) {
      if (random() < 0.2) bus.sandbox.control.generate(1200 + Math.floor(random() * 800));
      const bridge = spawnCli(args, env);
      // A quarter of the kills at any moment from the start (waiting for the lease, reading
      // the backlog); the rest once it leads, when it writes at every wake-up.
      const early = random() < 0.25;
      const leads = () => bridge.stderr().includes('leading') || bridge.stderr().includes('took over');
      if (!early) {
        const deadline = Date.now() + 15_000;
        while (!leads() && bridge.process.exitCode === null && Date.now() < deadline) await sleepMs(10);
      }
      const delay = Math.floor(random() * (early ? 1_500 : 800));
      const outcome = await Promise.race([bridge.exited, sleepMs(delay).then(() => 'timer' as const)]);
      if (outcome !== 'timer') {
        failures.push(`exit ${outcome}: ${bridge.stderr()}`);
        continue;
      }
      if (leads()) leading += 1;
      bridge.process.kill('SIGKILL');
      await bridge.exited;
      kills += 1;
    }
    bus.sandbox.control.setRate(0);
    await sleepMs(50);
    const last = spawnCli(args, env);
    const ids = await untilComplete(bus.client, STREAM, bus.sandbox);
    // Ctrl-C once it runs (before that, Node's default handler would end it by the signal).
    while (!last.stderr().includes('caught up') && last.process.exitCode === null) await sleepMs(20);
    last.process.kill('SIGINT');
    expect(await last.exited, last.stderr()).toBe(130);

    expect(failures, `seed ${seed}`).toEqual([]);
    const expected = storedIds(bus.sandbox);
    expect(new Set(ids).size, `seed ${seed}: repeated events`).toBe(ids.length);
    expect(ids.length, `seed ${seed}`).toBe(expected.length);
    expect(ids, `seed ${seed}`).toEqual(expected);
    expect(kills).toBeGreaterThanOrEqual(30);
    // The kills did land while bridges were writing.
    expect(leading, `seed ${seed}`).toBeGreaterThanOrEqual(KILLS / 2);
  },
);
