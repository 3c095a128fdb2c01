/**
 * An outage is told, not shouted, against a sandbox whose event stream stops and comes back:
 * in a pipe a line only when something changes, on a real pseudo-terminal one status line
 * redrawn in place that never breaks a record, and either way one line when it is back that
 * says how many events the log gave back. (The schedule of the lines on a fake clock:
 * test/output/outage.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/types.js';
import type { EventRecord } from '../../src/core/record.js';
import { startInProcess } from '../helpers/listen.js';
import { listenSuite } from '../helpers/listen-suite.js';
import { ptyAvailable, spawnInPty, type PtyRun } from '../helpers/pty.js';

const suite = listenSuite({ seed: 41 });

/** Stops a run on a pseudo-terminal after the test, if it still runs. */
const ptyRuns: PtyRun[] = [];
afterEach(async () => {
  for (const run of ptyRuns.splice(0)) {
    run.interrupt();
    await run.exit;
  }
});

const UNRECOVERABLE =
  'warning: notifications and chat events are never stored by Kitsu, so those sent while disconnected cannot be recovered';

/** Reads of the event log the sandbox has answered so far. */
const logReads = (sandbox: Sandbox) => sandbox.control.requests().filter((r) => r.path === 'data/events/last').length;

describe('an outage in a pipe', () => {
  it('is one line down, one when polling begins, one back with the count recovered: none a retry or a poll', async () => {
    const { sandbox } = suite;
    const live = await suite.listen(['--json']);
    // The same run with --verbose shows that retries and polls did happen meanwhile.
    const detail = await suite.listen(['--json', '--verbose']);
    await sandbox.control.stopStream();
    await live.waitForStderr(/polling the log/);
    const missed = [1, 2, 3].map((i) =>
      sandbox.control.emit('task:update', { task_id: `while-down-${i}`, project_id: sandbox.projects[0]!.id }),
    );
    const readsBefore = logReads(sandbox);
    // Both listeners poll: four more reads is two polls each at least.
    await live.waitFor(() => logReads(sandbox) >= readsBefore + 4, 'two more polls of the log each', 45_000);
    await live.waitFor(
      () => missed.every((e) => live.records().some((r) => r.id === e!.id && r.source === 'backfill')),
      'the events made while down, from polling',
    );
    await detail.waitFor(
      () =>
        (detail.stderr().match(/^reconnecting in /gm) ?? []).length >= 2 &&
        (detail.stderr().match(/^backfilled /gm) ?? []).length >= 3,
      'two retries and three polls in the --verbose detail',
      45_000,
    );
    sandbox.control.resumeStream();
    await live.waitForStderr(/^back after/m, 45_000);
    await detail.waitForStderr(/^back after/m, 45_000);

    const lines = live
      .stderr()
      .split('\n')
      .filter((l) => l !== '');
    expect(lines[0]).toMatch(/^connected to /);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^event stream down since \d\d:\d\d:\d\d \(.+\); next try in [\d.]+ s$/),
      UNRECOVERABLE,
      expect.stringMatching(
        /^event stream still down \(since \d\d:\d\d:\d\d; HTTP 502\); polling the log every 5 s until it is back$/,
      ),
      expect.stringMatching(/^back after \d+ s, 3 events recovered \(down [\d:]+ to [\d:]+\)$/),
    ]);
    expect(live.stderr()).not.toContain('\r');
    // --verbose keeps the detail: each retry, each read.
    expect(detail.stderr()).toMatch(/^disconnected \(/m);
    expect(detail.stderr()).toMatch(/^backfilled \d+ events? from the log/m);
    expect(detail.stderr()).toMatch(/^back after \d+ s, 3 events recovered \(down [\d:]+ to [\d:]+\)$/m);
  }, 120_000);
});

describe('an outage while following the log', () => {
  it('logs --follow ends a reconnect in the same one line', async () => {
    const { sandbox } = suite;
    const live = suite.track(startInProcess(['logs', '--follow', '--json', '--since', '1m'], suite.env));
    await live.waitForStderr('connected to');
    await sandbox.control.restartStream();
    // Made while the follower is away: only the log can bring it back.
    const missed = sandbox.control.emit('task:update', { task_id: 'missed', project_id: sandbox.projects[0]!.id });
    await live.waitForStderr(/^back after \d+ s, 1 event recovered \(down [\d:]+ to [\d:]+\)$/m, 45_000);
    await live.waitFor(
      () => live.records().some((r) => r.id === missed!.id && r.source === 'backfill'),
      'the missed one',
    );
    expect(live.stderr()).toMatch(/^event stream down since \d\d:\d\d:\d\d \(.+\); next try in [\d.]+ s$/m);
    expect(live.stderr()).not.toMatch(/^(disconnected|reconnecting|reconnected|backfilled)/m);
  });
});

describe('what a reconnect recovers, and newer live events', () => {
  it('prints the recovered events first, in log order, then the live ones received while the log was read', async () => {
    const { sandbox } = suite;
    const project = sandbox.projects[0]!.id;
    const live = await suite.listen(['--json']);
    await sandbox.control.restartStream();
    // Made while the listener is away: only the catch-up read can bring them.
    const missed = [1, 2, 3].map((i) =>
      sandbox.control.emit('task:update', { task_id: `missed-${i}`, project_id: project }),
    );
    // The catch-up read after the reconnect is the next read of the log: it takes a while…
    const reads = logReads(sandbox);
    sandbox.control.failRoutes({ path: /^data\/events\/last/, mode: { kind: 'slow', delayMs: 700 }, times: 1 });
    await live.waitFor(() => logReads(sandbox) > reads, 'the catch-up read to begin');
    // …and live events come in meanwhile, newer than what it will bring.
    await live.waitFor(() => sandbox.control.connectedSockets() >= 1, 'the socket to be counted');
    [1, 2].forEach((i) => sandbox.control.emit('task:update', { task_id: `newer-${i}`, project_id: project }));
    await live.waitFor(() => live.records().length >= 5, 'all five');
    expect(live.records().map((r) => [r.data.task_id, r.source])).toEqual([
      ['missed-1', 'backfill'],
      ['missed-2', 'backfill'],
      ['missed-3', 'backfill'],
      ['newer-1', 'live'],
      ['newer-2', 'live'],
    ]);
    expect(
      live
        .records()
        .slice(0, 3)
        .map((r) => r.id),
    ).toEqual(missed.map((e) => e!.id));
    await live.waitForStderr(/^back after \d+ s, 3 events recovered \(down [\d:]+ to [\d:]+\)$/m);
  });
});

/** The closing line of an outage in which the log gave back three events. */
const BACK_WITH_THREE = /^back after \d+ s, 3 events recovered \(down [\d:]+ to [\d:]+\)$/;

/** Starts `argv` on a pseudo-terminal, then stops the stream until the status line says it polls. */
async function downOnATerminal(argv: string[]): Promise<{ run: PtyRun; current: () => string }> {
  const run = spawnInPty(argv, suite.env);
  ptyRuns.push(run);
  const current = () => run.screen().at(-1) ?? '';
  await run.waitFor(() => run.screen().some((l) => l.startsWith('connected to')), 'connected');
  await suite.sandbox.control.stopStream();
  await run.waitFor(() => /polling the log$/.test(current()), 'the status line, polling the log', 45_000);
  return { run, current };
}

/** Brings the stream back and waits for the closing line and the new socket. */
async function backOnATerminal(run: PtyRun): Promise<void> {
  suite.sandbox.control.resumeStream();
  await run.waitFor(() => run.screen().some((l) => BACK_WITH_THREE.test(l)), 'back', 45_000);
  await run.waitFor(() => suite.sandbox.control.connectedSockets() >= 1, 'the socket to be counted');
}

describe.skipIf(!ptyAvailable())('an outage on a terminal', () => {
  it('is one status line redrawn in place, out of the way of the records, erased when back', async () => {
    const { sandbox } = suite;
    const project = sandbox.projects[0]!.id;
    // NDJSON on the terminal: every record line can be checked whole.
    const { run, current } = await downOnATerminal(['listen', '--json', '--count', '5']);
    expect(current()).toMatch(
      /^event stream down since \d\d:\d\d:\d\d \(.+\), (next try in \d+ s|trying now), polling the log$/,
    );
    // Records printed while it is shown (by polling) go above it, whole.
    for (let i = 1; i <= 3; i += 1)
      sandbox.control.emit('task:update', { task_id: `while-down-${i}`, project_id: project });
    const records = (): EventRecord[] =>
      run
        .screen()
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as EventRecord);
    await run.waitFor(() => records().length === 3, 'three records from polling', 45_000);
    expect(current()).toMatch(/^event stream down since /);
    // Redrawn in place: several texts over time, all on the one line the cursor is on.
    const drawn = new Set(run.raw().match(/event stream down since [^\r\n\u001b]*/g));
    expect(drawn.size).toBeGreaterThanOrEqual(2);

    await backOnATerminal(run);
    for (let i = 1; i <= 2; i += 1) sandbox.control.emit('task:update', { task_id: `after-${i}`, project_id: project });
    expect(await run.exit).toBe(0);

    const screen = run.screen().filter((l) => l.trim() !== '');
    // Gone when back: the status line left nothing behind, and broke no line.
    expect(screen.filter((l) => /down since|next try|polling the log/.test(l))).toEqual([]);
    expect(records().map((r) => [r.data.task_id, r.source])).toEqual([
      ['while-down-1', 'backfill'],
      ['while-down-2', 'backfill'],
      ['while-down-3', 'backfill'],
      ['after-1', 'live'],
      ['after-2', 'live'],
    ]);
    expect(screen.filter((l) => !l.startsWith('{'))).toEqual([
      expect.stringMatching(/^connected to .*; press Ctrl-C to stop$/),
      UNRECOVERABLE,
      expect.stringMatching(BACK_WITH_THREE),
    ]);
  }, 120_000);

  it('steps aside for the table too, whose recovered rows are marked ↺', async () => {
    const { sandbox } = suite;
    const project = sandbox.projects[0]!.id;
    const { run, current } = await downOnATerminal(['listen', '--count', '4']);
    for (let i = 1; i <= 3; i += 1) sandbox.control.emit('task:update', { task_id: `table-${i}`, project_id: project });
    const marked = () => run.screen().filter((l) => l.includes('↺'));
    await run.waitFor(() => marked().length === 3, 'three recovered rows', 45_000);
    expect(current()).toMatch(/^event stream down since /);
    await backOnATerminal(run);
    sandbox.control.emit('task:update', { task_id: 'table-live', project_id: project });
    expect(await run.exit).toBe(0);
    const screen = run.screen().filter((l) => l.trim() !== '');
    expect(screen.filter((l) => /down since|next try|polling the log/.test(l))).toEqual([]);
    // Whole rows, the recovered ones marked, and the status line left nothing behind.
    const recoveredRow = /^\d\d:\d\d:\d\d ↺ task:update +\S.*$/;
    expect(screen).toEqual([
      expect.stringMatching(/^connected to .*; press Ctrl-C to stop$/),
      UNRECOVERABLE,
      expect.stringMatching(recoveredRow),
      expect.stringMatching(recoveredRow),
      expect.stringMatching(recoveredRow),
      expect.stringMatching(BACK_WITH_THREE),
      expect.stringMatching(/^\d\d:\d\d:\d\d {3}task:update +\S.*$/),
    ]);
  }, 120_000);
});
