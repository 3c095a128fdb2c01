/**
 * Standby takeover: two built bridges on one stream while the sandbox makes events. Again and
 * again the leader (the process named in the lease) is SIGSTOPped until the other takes over
 * and then resumed, or SIGKILLed and started again as the new standby. A resumed stale leader
 * must write nothing: it says it lost the lease, and along the stream the `fence` of the
 * writing term never goes down (a write of the old term after the new one would). At the end
 * the stream equals the log id by id. Needs `npm run build` first.
 */
import { expect, it } from 'vitest';
import { spawnCli, untilComplete, sleepMs, type Child } from '../helpers/bus.js';
import { botEnv, storedIds } from '../helpers/logs.js';
import { readStream } from '../helpers/redis.js';
import { busSuite } from '../helpers/bus-suite.js';

const ROUNDS = 12;
const STREAM = '{kitsu}:events';
const LEASE_KEY = '{kitsu}:events:lease';

const bus = busSuite({ seed: 12, events: 2_000, historySpan: 86_400 });

async function until(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleepMs(20);
  }
}

/** The pid and fence in the lease, or null when nobody holds it. */
async function leaseHolder(): Promise<{ pid: number; fence: number } | null> {
  const value = (await bus.client.sendCommand(['GET', LEASE_KEY])) as string | null;
  if (!value) return null;
  const match = /:(\d+):[0-9a-f]+\/(\d+)$/.exec(value);
  return match ? { pid: Number(match[1]), fence: Number(match[2]) } : null;
}

it(
  'a standby takes over from a stopped or killed leader, and a resumed stale leader writes nothing',
  { timeout: 240_000 },
  async () => {
    const env = botEnv(bus.sandbox, 'admin', bus.config.dir);
    const args = ['bridge', bus.redis.url, '--lease', '1s'];
    const bridges: Child[] = [spawnCli(args, env), spawnCli(args, env)];
    bus.sandbox.control.setRate(100);
    let stops = 0;
    let kills = 0;
    const losses = (child: Child) => child.stderr().split('lost the lease').length - 1;
    try {
      for (let round = 0; round < ROUNDS; round += 1) {
        await until(async () => {
          const now = await leaseHolder();
          return now !== null && bridges.some((b) => b.process.pid === now.pid);
        }, 'a leader');
        const holder = (await leaseHolder())!;
        const index = bridges.findIndex((b) => b.process.pid === holder.pid);
        const leader = bridges[index]!;
        const newLeader = async () => {
          const now = await leaseHolder();
          return now !== null && now.fence > holder.fence && now.pid !== holder.pid;
        };
        // Let it write a little as the leader first.
        await sleepMs(300);
        if (round % 2 === 0) {
          const lostBefore = losses(leader);
          leader.process.kill('SIGSTOP');
          await until(newLeader, 'the standby to take over from the stopped leader');
          await sleepMs(300);
          leader.process.kill('SIGCONT');
          await until(() => losses(leader) > lostBefore, 'the resumed leader to find it lost the lease');
          stops += 1;
        } else {
          leader.process.kill('SIGKILL');
          await leader.exited;
          await until(newLeader, 'the standby to take over from the killed leader');
          bridges[index] = spawnCli(args, env);
          kills += 1;
        }
      }
      bus.sandbox.control.setRate(0);
      await sleepMs(50);
      const ids = await untilComplete(bus.client, STREAM, bus.sandbox);
      const expected = storedIds(bus.sandbox);
      expect(new Set(ids).size, 'repeated events').toBe(ids.length);
      expect(ids).toEqual(expected);
      const fences = (await readStream(bus.client, STREAM)).map((e) => Number(e.fields.fence));
      const backwards = fences.findIndex((f, i) => i > 0 && f < fences[i - 1]!);
      expect(backwards, 'an entry written by an older term after a newer one').toBe(-1);
      // Many terms wrote (under load a short one may find nothing new before it is stopped).
      expect(new Set(fences).size).toBeGreaterThanOrEqual(ROUNDS / 2);
      expect(stops + kills).toBeGreaterThanOrEqual(10);
    } finally {
      for (const b of bridges) {
        b.process.kill('SIGCONT');
        b.process.kill('SIGINT');
      }
      await Promise.all(bridges.map((b) => b.exited));
    }
  },
);
