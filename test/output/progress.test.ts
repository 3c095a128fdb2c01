import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/output/progress.js';
import { reporterFor } from '../../src/output/reporter.js';
import { testContext } from '../helpers/context.js';
import { captureStream, until } from '../helpers/output.js';

const ERASE = '\r\u001b[2K';

function setup(options: { stderrTTY?: boolean; stdoutTTY?: boolean; quiet?: boolean; columns?: number } = {}) {
  let now = 1_000_000;
  const stderr = captureStream({ tty: options.stderrTTY ?? true, columns: options.columns ?? 60 });
  const stdout = captureStream({ tty: options.stdoutTTY ?? false });
  const ctx = testContext({ stderr, stdout, now: () => now, globals: { quiet: options.quiet ?? false } });
  return { ctx, stderr, advance: (ms: number) => (now += ms) };
}

describe('progress', () => {
  it('draws one line in place with events, pages and the rate, and erases it when done', () => {
    const { ctx, stderr, advance } = setup();
    const progress = createProgress(ctx, 'exporting');
    progress.update({ events: 10, pages: 1 });
    advance(2000);
    progress.update({ events: 12_345, pages: 13 });
    progress.done();
    expect(stderr.text()).toBe(
      `${ERASE}exporting: 10 events · 1 page${ERASE}exporting: 12,345 events · 13 pages · 6,173/s${ERASE}`,
    );
    expect(stderr.text()).not.toContain('\n');
  });

  it('cuts the line with … to leave the last column free on a narrow terminal', () => {
    const { ctx, stderr } = setup({ columns: 20 });
    const progress = createProgress(ctx, 'reading the event log');
    progress.update({ events: 12_345, pages: 13 });
    expect(stderr.text()).toBe(`${ERASE}reading the event …`);
    progress.done();
  });

  it('says 1 event and 1 page, 0 events and 0 pages', () => {
    const { ctx, stderr, advance } = setup();
    const progress = createProgress(ctx, 'reading');
    progress.update({ events: 0, pages: 0 });
    advance(200);
    progress.update({ events: 1, pages: 1 });
    progress.done();
    expect(stderr.text()).toBe(`${ERASE}reading: 0 events · 0 pages${ERASE}reading: 1 event · 1 page${ERASE}`);
  });

  it('redraws at most ten times a second, and still shows the last counts', async () => {
    const { ctx, stderr, advance } = setup();
    const progress = createProgress(ctx, 'exporting');
    for (let i = 1; i <= 1000; i += 1) {
      progress.update({ events: i });
      if (i % 100 === 0) advance(50);
    }
    // 1000 updates over 0.5 s of clock time: a handful of redraws, not a thousand.
    const draws = () => stderr.text().split(ERASE).filter(Boolean);
    expect(draws().length).toBeLessThanOrEqual(6);
    advance(200);
    await until(() => draws().at(-1)?.startsWith('exporting: 1,000 events') === true, 'the trailing redraw');
    progress.done();
  });

  it('cuts the line to the width of the terminal', () => {
    const { ctx, stderr } = setup();
    const progress = createProgress(ctx, 'a very long label that goes on and on and on and on');
    progress.update({ events: 123_456_789, pages: 123_456 });
    progress.done();
    for (const line of stderr.text().split(ERASE).filter(Boolean)) expect(line.length).toBeLessThan(60);
  });

  it.each([
    ['stderr is not a terminal', { stderrTTY: false }],
    ['--quiet', { quiet: true }],
    ['the records scroll on the same terminal', { stdoutTTY: true }],
  ])('is silent when %s', (_title, options) => {
    const { ctx, stderr } = setup(options);
    const progress = createProgress(ctx, 'exporting');
    progress.update({ events: 5 });
    progress.done();
    expect(stderr.text()).toBe('');
  });

  it('shows on a terminal when the records go to a file (recordsOnStdout: false)', () => {
    const { ctx, stderr } = setup({ stdoutTTY: true });
    const progress = createProgress(ctx, 'exporting', { recordsOnStdout: false });
    progress.update({ events: 5 });
    progress.done();
    expect(stderr.text()).toContain('exporting: 5 events');
  });

  it('steps aside for a warning and comes back after it', () => {
    const { ctx, stderr } = setup();
    const progress = createProgress(ctx, 'exporting');
    progress.update({ events: 5 });
    reporterFor({ ...ctx, globals: { ...ctx.globals, color: 'never' } }).warn('server is slow');
    expect(stderr.text()).toBe(`${ERASE}exporting: 5 events${ERASE}warning: server is slow\nexporting: 5 events`);
    progress.done();
    reporterFor(ctx).info('after');
    expect(stderr.text().endsWith(`${ERASE}after\n`)).toBe(true);
  });
});
