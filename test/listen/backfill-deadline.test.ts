/**
 * A backfill whose log read the server drips (a byte at a time, never done) must not hold every
 * later backfill: the request's overall deadline ends it, listen says the backfill could not
 * complete, and the next read recovers what was missed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { drip, startBrokenFront, type BrokenFront } from '../helpers/broken-front.js';
import { botEnv, startInProcess, waitUntil } from '../helpers/listen.js';
import { tempConfigDir } from '../helpers/run-cli.js';

let sandbox: Sandbox;
let front: BrokenFront;
const tmp = tempConfigDir();
beforeAll(async () => {
  sandbox = await startSandbox({ seed: 9 });
  front = await startBrokenFront(sandbox.url);
});
afterAll(async () => {
  await front.close();
  await sandbox.close();
  tmp.cleanup();
});

describe('listen and a dripping backfill', () => {
  it('says the backfill could not complete, and a later one recovers the missed event', async () => {
    const env = {
      ...botEnv(sandbox, tmp.dir),
      // The REST calls go through the front; the event stream straight to the sandbox.
      KITSU_HOST: front.url,
      KITSU_EVENT_HOST: sandbox.url,
      KITSU_TAIL_REQUEST_TIMEOUT: '500ms',
    };
    const live = startInProcess(['listen', '--json', '--count', '1'], env);
    try {
      await live.waitForStderr('connected to');
      await waitUntil(() => sandbox.control.connectedSockets() >= 1, 'the socket to be counted');
      const stopDripping = front.use(drip(/^\/api\/data\/events\/last/, 50));
      await sandbox.control.stopStream();
      const missed = sandbox.control.emit('task:update', { task_id: 'missed', project_id: sandbox.projects[0]!.id });
      sandbox.control.resumeStream();
      await live.waitForStderr('could not read the event log to backfill');
      stopDripping();
      expect(await live.exit, live.stderr()).toBe(0);
      expect(live.records()).toMatchObject([{ id: missed!.id, source: 'backfill', data: { task_id: 'missed' } }]);
      expect(live.stderr()).toMatch(
        /could not read the event log to backfill \(.*did not finish answering in time: GET \/api\/data\/events\/last took more than 500 ms/,
      );
    } finally {
      live.interrupt();
      await live.exit;
    }
  });
});
