import { describe, expect, it } from 'vitest';
import { reporterFor } from '../../src/output/reporter.js';
import { testContext } from '../helpers/context.js';
import { captureStream } from '../helpers/output.js';

describe('the reporter', () => {
  it('writes to stderr only, cleaned of what the server may have slipped into a message', () => {
    const stderr = captureStream({ tty: true });
    const stdout = captureStream();
    const reporter = reporterFor(testContext({ stderr, stdout, globals: { color: 'always', verbose: true } }));
    reporter.info('project \u001b]0;pwned\u0007Big\rBuck');
    reporter.warn('server said: \u001b[2Jgone');
    reporter.verbose('GET /api/data/events/last\nline two\u0007');
    const text = stderr.text();
    expect(stdout.text()).toBe('');
    expect(text.replace(/\u001b\[[0-9;]*m/g, '')).toBe(
      'project Big Buck\nwarning: server said: gone\nGET /api/data/events/last\nline two\n',
    );
    // Our own colours are kept.
    expect(text).toContain('\u001b[33mwarning:\u001b[39m');
  });

  it('hides info under --quiet but never a warning, and redacts tokens', () => {
    const stderr = captureStream();
    const reporter = reporterFor(testContext({ stderr, globals: { quiet: true } }));
    reporter.info('connected');
    reporter.verbose('GET /');
    reporter.warnOnce('k', 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl refused');
    reporter.warnOnce('k', 'again');
    expect(stderr.text()).toBe('warning: token [redacted] refused\n');
  });

  it('starts the Ctrl-C summary on its own line on a terminal (after the echoed ^C), not in a pipe', () => {
    const tty = captureStream({ tty: true });
    reporterFor(testContext({ stderr: tty })).afterInterrupt('stopped: 3 events');
    expect(tty.text()).toBe('\nstopped: 3 events\n');
    const pipe = captureStream();
    reporterFor(testContext({ stderr: pipe })).afterInterrupt('stopped: 3 events');
    expect(pipe.text()).toBe('stopped: 3 events\n');
    const quiet = captureStream({ tty: true });
    reporterFor(testContext({ stderr: quiet, globals: { quiet: true } })).afterInterrupt('stopped');
    expect(quiet.text()).toBe('');
  });
});
