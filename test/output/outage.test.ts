/**
 * The outage report on a fake clock: one redrawn line on a terminal, a few time-stamped lines
 * in a pipe, one closing line either way. (The same against a real sandbox, on a real
 * pseudo-terminal and in a pipe: test/listen/outage.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { OutageReport, STREAM_OUTAGE, KITSU_NOT_UP, duration, type OutageWords } from '../../src/output/outage.js';
import { reporterFor } from '../../src/output/reporter.js';
import { aroundStatusLine } from '../../src/output/status-line.js';
import { testContext } from '../helpers/context.js';
import { captureStream } from '../helpers/output.js';

const ERASE = '\r\u001b[2K';
const T0 = Date.UTC(2026, 11, 3, 10, 37, 4);
/** `HH:MM:SS` of the fake clock, in UTC so that the test does not depend on the zone. */
const hms = (ms: number) => new Date(ms).toISOString().slice(11, 19);

function setup(options: { tty: boolean; quiet?: boolean; words?: OutageWords; stdoutTTY?: boolean }) {
  let now = T0;
  const stderr = captureStream({ tty: options.tty, columns: 200 });
  const stdout = captureStream({ tty: options.stdoutTTY ?? false });
  const ctx = testContext({
    stderr,
    stdout,
    now: () => now,
    globals: { quiet: options.quiet ?? false, color: 'never' },
  });
  const ticks: (() => void)[] = [];
  const report = new OutageReport({
    words: options.words ?? STREAM_OUTAGE,
    reporter: reporterFor(ctx),
    stderr,
    stdout,
    clock: ctx.clock,
    clockTime: hms,
    timers: {
      setInterval: (callback) => ticks.push(callback),
      clearInterval: () => ticks.splice(0),
    },
  });
  const advance = (ms: number) => {
    now += ms;
    for (const tick of ticks) tick();
  };
  return { report, stderr, stdout, advance, ticks, now: () => now };
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('an outage in a pipe', () => {
  it('says down, polling, still down at 1, 5, 15, 30, 60 min then hourly, and back: never a line a retry', () => {
    const { report, stderr, advance } = setup({ tty: false });
    report.down(T0, 'the server closed the connection');
    report.retrying(400, 'the server closed the connection');
    advance(400);
    report.retrying(900, 'HTTP 502');
    report.polling(5_000);
    // Retries every 30 s (the cap) for three hours: the schedule, not the retries, makes lines.
    for (let t = 0; t < 3 * 3600_000; t += 30_000) {
      advance(30_000);
      report.retrying(30_000, 'HTTP 502');
    }
    report.up();
    report.over(12);
    const out = lines(stderr.text());
    expect(out[0]).toBe('event stream down since 10:37:04 (the server closed the connection); next try in 0.4 s');
    expect(out[1]).toBe(
      'event stream still down (since 10:37:04; HTTP 502); polling the log every 5 s until it is back',
    );
    const still = out.filter((l) => l.startsWith('event stream still down after'));
    expect(still.map((l) => /after ([^(]+) \(/.exec(l)![1])).toEqual([
      '60 s',
      '5 min',
      '15 min',
      '30 min',
      '60 min',
      '2 h 0 min',
      '3 h 0 min',
    ]);
    expect(still[0]).toBe(
      'event stream still down after 60 s (since 10:37:04; HTTP 502); next try in 30 s, polling the log',
    );
    expect(out[out.length - 1]).toBe('back after 3 h 0 min, 12 events recovered (down 10:37:04 to 13:37:04)');
    expect(out).toHaveLength(2 + 7 + 1);
    expect(stderr.text()).not.toContain('\r');
  });

  it('shows the delay the scheduler waits, as given', () => {
    const { report, stderr } = setup({ tty: false });
    report.retrying(8_123, 'connection refused');
    expect(stderr.text()).toContain('next try in 8.1 s');
  });

  it('a drop while reading what the last one missed is the same outage, closed by one line', () => {
    const { report, stderr, advance } = setup({ tty: false });
    report.down(T0, 'transport close');
    report.retrying(300, 'transport close');
    advance(1_000);
    report.up();
    report.down(T0 + 1_500, 'transport close');
    report.retrying(500, 'transport close');
    advance(1_000);
    report.up();
    advance(500);
    report.over(3);
    expect(lines(stderr.text())).toEqual([
      'event stream down since 10:37:04 (transport close); next try in 0.3 s',
      'back after 2 s, 3 events recovered (down 10:37:04 to 10:37:06)',
    ]);
  });

  it('says why nothing was recovered, and 1 event in the singular', () => {
    const a = setup({ tty: false });
    a.report.retrying(100, 'x');
    a.report.up();
    a.report.over('--no-backfill: missed events were not read from the log');
    expect(lines(a.stderr.text())[1]).toBe(
      'back after 0 s (down 10:37:04 to 10:37:04; --no-backfill: missed events were not read from the log)',
    );
    const b = setup({ tty: false });
    b.report.retrying(100, 'x');
    b.report.over(1);
    expect(lines(b.stderr.text())[1]).toBe('back after 0 s, 1 event recovered (down 10:37:04 to 10:37:04)');
  });

  it('names Kitsu while waiting for it at the start', () => {
    const { report, stderr, advance } = setup({ tty: false, words: KITSU_NOT_UP });
    report.retrying(300, 'connection refused');
    advance(2_000);
    report.retrying(700, 'connection refused');
    report.over(null);
    expect(lines(stderr.text())).toEqual([
      'Kitsu not up since 10:37:04 (connection refused); next try in 0.3 s',
      'Kitsu up after 2 s (waited 10:37:04 to 10:37:06)',
    ]);
  });
});

describe.each([false, true])('an outage with --quiet (stderr a terminal: %s)', (tty) => {
  it('is neither drawn nor said', () => {
    const { report, stderr } = setup({ tty, quiet: true });
    report.retrying(3_000, 'HTTP 502');
    report.polling(5_000);
    report.over(2);
    expect(stderr.text()).toBe('');
  });
});

describe('an outage on a terminal', () => {
  it('is one line redrawn in place with the countdown, erased when back, then the closing line', () => {
    const { report, stderr, advance, ticks } = setup({ tty: true });
    report.down(T0, 'transport close');
    report.retrying(8_000, 'HTTP 502');
    advance(1_000);
    advance(1_000);
    report.polling(5_000);
    advance(6_000);
    report.up();
    expect(ticks).toHaveLength(1);
    report.over(4);
    expect(ticks).toHaveLength(0);
    const text = stderr.text();
    expect(text).toBe(
      [
        `${ERASE}event stream down since 10:37:04 (transport close), trying now`,
        `${ERASE}event stream down since 10:37:04 (HTTP 502), next try in 8 s`,
        `${ERASE}event stream down since 10:37:04 (HTTP 502), next try in 7 s`,
        `${ERASE}event stream down since 10:37:04 (HTTP 502), next try in 6 s`,
        `${ERASE}event stream down since 10:37:04 (HTTP 502), next try in 6 s, polling the log`,
        `${ERASE}event stream down since 10:37:04 (HTTP 502), trying now, polling the log`,
        `${ERASE}back after 8 s, reading the log for what was missed`,
        `${ERASE}back after 8 s, 4 events recovered (down 10:37:04 to 10:37:12)\n`,
      ].join(''),
    );
  });

  it('steps aside for another stderr line and for records on the same terminal', () => {
    const { report, stderr, stdout } = setup({ tty: true, stdoutTTY: true });
    report.retrying(3_000, 'HTTP 502');
    const status = 'event stream down since 10:37:04 (HTTP 502), next try in 3 s';
    aroundStatusLine(stdout, () => stdout.write('a record\n'));
    aroundStatusLine(stderr, () => stderr.write('warning: something\n'));
    expect(stderr.text()).toBe(`${ERASE}${status}${ERASE}${status}${ERASE}warning: something\n${status}`);
    expect(stdout.text()).toBe('a record\n');
    report.close();
    expect(stderr.text().endsWith(`${status}${ERASE}`)).toBe(true);
    // Gone: nothing steps aside any more.
    aroundStatusLine(stdout, () => stdout.write('another\n'));
    expect(stderr.text().endsWith(`${status}${ERASE}`)).toBe(true);
  });
});

describe('duration', () => {
  it('says seconds up to two minutes, then minutes, then hours', () => {
    expect([0, 86_000, 119_000, 120_000, 3_599_000, 7_200_000, 7_500_000].map(duration)).toEqual([
      '0 s',
      '86 s',
      '119 s',
      '2 min',
      '59 min',
      '2 h 0 min',
      '2 h 5 min',
    ]);
  });
});
