/**
 * A consumer group of three built readers (`listen --from … --group g --exec …`) sharing a
 * stream that a built bridge fills while the sandbox makes events; one member is SIGKILLed
 * mid-way. Every event must be handled, and none twice except one the killed member was
 * handling when it died (its command ran, its acknowledgement never came). The entries it had
 * taken and not handled are claimed by the others after --reclaim-after. Needs a build.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sleepMs, spawnCli, untilComplete, type Child } from '../helpers/bus.js';
import { botEnv, storedIds } from '../helpers/logs.js';
import { busSuite } from '../helpers/bus-suite.js';

const STREAM = '{kitsu}:events';

const bus = busSuite({ seed: 14, events: 500, historySpan: 86_400 });
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kitsu-tail-group-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function handled(member: number): string[] {
  const file = join(dir, `m${member}.txt`);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

it(
  'shares the entries among three members and hands a killed member’s pending ones to the others',
  { timeout: 180_000 },
  async () => {
    const env = botEnv(bus.sandbox, 'admin', bus.config.dir);
    const bridge = spawnCli(['bridge', bus.redis.url, '--lease', '2s'], env);
    const member = (n: number): Child =>
      spawnCli(
        [
          'listen',
          '--from',
          bus.redis.url,
          '--since',
          '1d',
          '--group',
          'g',
          '--consumer',
          `m${n}`,
          '--reclaim-after',
          '2s',
          '--json',
          // Stored events only: the comparison is with the log.
          // Member 2 stays in its 20th command until it is killed, so that it dies in the middle
          // of one whatever the machine's load (a short dwell could end before the kill came).
          '--exec',
          `[ -z "$KITSU_EVENT_ID" ] || { echo "$KITSU_EVENT_ID" >> ${join(dir, `m${n}.txt`)}; ${
            n === 2 ? `[ "$(wc -l < ${join(dir, 'm2.txt')})" -lt 20 ] || sleep 10` : 'true'
          }; }`,
        ],
        { NO_COLOR: '1', KITSU_TAIL_CONFIG_DIR: bus.config.dir },
      );
    const members = [member(1), member(2), member(3)];
    try {
      while (!bridge.stderr().includes('caught up')) await sleepMs(20);
      bus.sandbox.control.setRate(30);
      const deadline = Date.now() + 60_000;
      // It wrote its 20th event down and dwells: its command runs, the entry is unacknowledged.
      while (handled(2).length < 20 && Date.now() < deadline) await sleepMs(5);
      members[1]!.process.kill('SIGKILL');
      await members[1]!.exited;
      const killedHandled = new Set(handled(2));
      await sleepMs(2_000);
      bus.sandbox.control.setRate(0);
      await sleepMs(50);
      const expected = storedIds(bus.sandbox);
      expect(await untilComplete(bus.client, STREAM, bus.sandbox)).toEqual(expected);
      const all = () => [...handled(1), ...handled(2), ...handled(3)];
      const until = Date.now() + 60_000;
      while (new Set(all()).size < expected.length && Date.now() < until) await sleepMs(100);

      expect(new Set(all())).toEqual(new Set(expected));
      const seen = new Map<string, number>();
      for (const id of all()) seen.set(id, (seen.get(id) ?? 0) + 1);
      const twice = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
      // Only what the killed member was handling at the instant it died.
      expect(twice.length).toBeLessThanOrEqual(1);
      for (const id of twice) expect(killedHandled.has(id)).toBe(true);
      // The work was shared, and the killed member's entries were claimed by the others.
      expect(handled(1).length).toBeGreaterThan(0);
      expect(handled(3).length).toBeGreaterThan(0);
      // The entry it died on is written down already, so the set above may be whole before
      // --reclaim-after has passed: wait for the others to claim it.
      const others = () => members[0]!.stderr() + members[2]!.stderr();
      const claimBy = Date.now() + 30_000;
      while (!/took over \d+ entr/.test(others()) && Date.now() < claimBy) await sleepMs(100);
      expect(others()).toMatch(/took over \d+ entr/);
      // A claimed entry stays pending while its new member runs the command, until the ack.
      const pending = async () => Number(((await bus.client.sendCommand(['XPENDING', STREAM, 'g'])) as unknown[])[0]);
      const ackBy = Date.now() + 30_000;
      while ((await pending()) > 0 && Date.now() < ackBy) await sleepMs(100);
      expect(await pending()).toBe(0);
    } finally {
      bridge.process.kill('SIGINT');
      for (const m of members) m.process.kill('SIGINT');
      await Promise.all([bridge.exited, ...members.map((m) => m.exited)]);
    }
  },
);
