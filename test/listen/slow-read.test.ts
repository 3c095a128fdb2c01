/**
 * A catch-up read slow enough to outlast the next disconnect: the live events its first rows
 * pair with must be kept until it is done, or those rows are printed a second time (the soak
 * doubled 4,313 events that way when the sandbox stopped answering for a while).
 */
import { expect, it } from 'vitest';
import { compareWithLog } from '../helpers/listen.js';
import { listenSuite } from '../helpers/listen-suite.js';

const suite = listenSuite({ seed: 21 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('keeps the live events a running read may pair with, though the stream drops again meanwhile', async () => {
  const { sandbox } = suite;
  const live = await suite.listen(['--json']);
  const from = sandbox.control.log().length;
  sandbox.control.setRate(40);
  await sleep(8_000);
  // The catch-up read after the next reconnect hangs for 25 s...
  const healed = sandbox.control.failRoutes({
    path: /^data\/events\/last/,
    mode: { kind: 'slow', delayMs: 25_000 },
    times: 1,
  });
  await sandbox.control.restartStream();
  await live.waitForStderr(/back after|reconnected/);
  await sleep(8_000);
  // ...and meanwhile the stream goes down again, for longer than a pruning round (10 s).
  await sandbox.control.stopStream();
  await sleep(15_000);
  sandbox.control.resumeStream();
  healed();
  // Back twice: after the restart, and after the outage (the line is "back after …" since issue 12).
  await live.waitFor(
    () => (live.stderr().match(/back after|reconnected/g) ?? []).length >= 2,
    'the second reconnect',
    120_000,
  );
  await sleep(6_000);
  sandbox.control.setRate(0);
  const stored = sandbox.control.log().slice(from);
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline && compareWithLog(live.records(), stored).missing.length > 0) await sleep(1_000);
  await sleep(3_000);
  const { missing, extra } = compareWithLog(live.records(), stored);
  // What this test is about: nothing printed twice. An event lost at the moment of a reconnect
  // is a separate, open case (issue 12's soak sees one now and then); it is said, not asserted.
  if (missing.length > 0) console.log(`slow-read: ${missing.length} stored events not printed:`, missing.slice(0, 3));
  expect(extra.slice(0, 5)).toEqual([]);
}, 360_000);
