import { describe, expect, it } from 'vitest';
import type { ColorMode } from '../../src/context.js';
import { shouldColor } from '../../src/output/color.js';
import { createRecordWriter } from '../../src/output/writer.js';
import { testContext } from '../helpers/context.js';
import { captureStream, sampleRecord } from '../helpers/output.js';

describe('shouldColor', () => {
  // [--color, env, stream is a terminal, expected]
  const cases: Array<[ColorMode, Record<string, string>, boolean, boolean]> = [
    ['auto', {}, true, true],
    ['auto', {}, false, false],
    ['auto', { NO_COLOR: '1' }, true, false],
    ['auto', { NO_COLOR: '' }, true, true],
    ['auto', { FORCE_COLOR: '1' }, false, true],
    ['auto', { FORCE_COLOR: '0' }, true, false],
    ['auto', { FORCE_COLOR: 'false' }, true, false],
    ['auto', { FORCE_COLOR: '1', NO_COLOR: '1' }, false, true],
    ['auto', { TERM: 'dumb' }, true, false],
    ['always', { NO_COLOR: '1' }, false, true],
    ['always', { FORCE_COLOR: '0' }, false, true],
    ['never', { FORCE_COLOR: '1' }, true, false],
    ['never', {}, true, false],
  ];
  it.each(cases)('--color %s with %j, terminal %s → %s', (mode, env, tty, expected) => {
    expect(shouldColor(mode, captureStream({ tty }), env)).toBe(expected);
  });
});

describe('the table follows the colour rules', () => {
  const cases: Array<[ColorMode, Record<string, string>, boolean, boolean]> = [
    ['auto', {}, true, true],
    ['auto', { NO_COLOR: '1' }, true, false],
    ['auto', { FORCE_COLOR: '1' }, false, true],
    ['always', {}, false, true],
    ['never', {}, true, false],
  ];
  it.each(cases)('--color %s with %j, terminal %s → colour %s', async (color, env, tty, expected) => {
    const stdout = captureStream({ tty, columns: 200 });
    const writer = createRecordWriter(testContext({ stdout, env, globals: { color } }), { format: 'table' });
    await writer.write(sampleRecord());
    await writer.end();
    expect(stdout.text().includes('\u001b[')).toBe(expected);
  });

  it('never colours the machine formats', async () => {
    for (const format of ['ndjson', 'json', 'csv'] as const) {
      const stdout = captureStream({ tty: true });
      const writer = createRecordWriter(testContext({ stdout, globals: { color: 'always', format } }));
      await writer.write(sampleRecord());
      await writer.end();
      expect(stdout.text()).not.toContain('\u001b');
    }
  });
});
