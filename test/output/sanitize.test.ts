import { describe, expect, it } from 'vitest';
import { escapeJsonForTerminal, sanitizeForTerminal } from '../../src/output/sanitize.js';
import { createRecordWriter } from '../../src/output/writer.js';
import { testContext } from '../helpers/context.js';
import { captureStream, sampleRecord } from '../helpers/output.js';
import { pick, seededRandom } from '../helpers/core.js';

// What a terminal may act on: ESC, the C1 controls, BEL, CR, BS and friends, DEL, bidi overrides.
const ACTIVE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const hostile: Array<[string, string, string]> = [
  ['set the title (OSC, BEL)', 'a\u001b]0;pwned\u0007b', 'ab'],
  ['set the title (OSC, ST)', 'a\u001b]2;pwned\u001b\\b', 'ab'],
  ['an unterminated OSC', 'a\u001b]0;pwned', 'a'],
  ['a hyperlink (OSC 8)', '\u001b]8;;http://evil/\u0007click\u001b]8;;\u0007', 'click'],
  ['clear the screen (CSI)', 'a\u001b[2Jb', 'ab'],
  ['move the cursor (CSI)', 'a\u001b[10;20Hb', 'ab'],
  ['a private CSI', 'a\u001b[?1049hb', 'ab'],
  ['8-bit CSI', 'a\u009b2Jb', 'ab'],
  ['8-bit OSC', 'a\u009d0;pwned\u009cb', 'ab'],
  ['a DCS string', 'a\u001bPq#0;2;0;0;0\u001b\\b', 'ab'],
  ['an APC string', 'a\u001b_payload\u001b\\b', 'ab'],
  ['a two-byte escape', 'a\u001bcb', 'ab'],
  ['a charset switch', 'a\u001b(0b', 'ab'],
  ['a lone ESC at the end', 'ab\u001b', 'ab'],
  ['carriage return', 'safe\rEVIL', 'safe EVIL'],
  ['newlines and tabs', 'one\ntwo\tthree\r\nfour', 'one two three  four'],
  ['backspaces', 'rm -rf /\b\b\b\b\b\b\b\bls', 'rm -rf /ls'],
  ['bell and NUL', 'a\u0007\u0000b', 'ab'],
  ['DEL', 'a\u007fb', 'ab'],
  ['a bidi override', 'file\u202egnp.exe', 'filegnp.exe'],
  ['Unicode line separators', 'a\u2028b\u2029c', 'a b c'],
  ['ordinary text', 'Shot 010 — compo v2 ✔ 日本 🎬', 'Shot 010 — compo v2 ✔ 日本 🎬'],
];

describe('sanitizeForTerminal', () => {
  it.each(hostile)('%s', (_title, input, expected) => {
    expect(sanitizeForTerminal(input)).toBe(expected);
  });

  it('leaves nothing active in random hostile text (seeded property test)', () => {
    const random = seededRandom(99);
    const pieces = [
      '\u001b',
      '[',
      ']',
      '0',
      ';',
      '2J',
      '\u0007',
      '\\',
      '\u009b',
      '\u009d',
      '\u009c',
      '\r',
      '\n',
      'a',
      'é',
      '🎬',
      'P',
      '_',
      '\u202e',
      '\u0090',
    ];
    for (let i = 0; i < 5000; i += 1) {
      let text = '';
      for (let n = 0; n < 12; n += 1) text += pick(random, pieces);
      expect(sanitizeForTerminal(text)).not.toMatch(ACTIVE);
    }
  });
});

describe('escapeJsonForTerminal', () => {
  it('escapes what JSON.stringify leaves raw, and parses back to the same value', () => {
    const value = { text: 'a\u009b2Jb\u007f\u202e\u2028', ok: 'plain ✔' };
    const json = escapeJsonForTerminal(JSON.stringify(value));
    expect(json).not.toMatch(ACTIVE);
    expect(json).toContain('\\u009b');
    expect(JSON.parse(json)).toEqual(value);
  });
});

describe('hostile payloads through the writer', () => {
  const record = sampleRecord({
    name: 'comment:new\u001b[2J',
    data: { text: 'hi \u001b]0;pwned\u0007there\r', '\u001b[31mkey': 'v', comment_id: '\u009b2J' },
  });

  it('the table shows no escape sequence but its own colours', async () => {
    for (const color of ['always', 'never'] as const) {
      const stdout = captureStream({ tty: true, columns: 200 });
      const writer = createRecordWriter(testContext({ stdout, globals: { color } }), {
        names: { project: () => 'Evil\u001b]0;x\u0007 Project', person: () => 'Mallory\rAdmin' },
      });
      await writer.write(record);
      await writer.end();
      // Our colours are SGR sequences (ESC [ … m); nothing else may remain.
      const text = stdout.text();
      const withoutColours = text.replace(/\u001b\[[0-9;]*m/g, '');
      expect(withoutColours).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      expect(withoutColours).toContain('hi there');
      expect(withoutColours).toContain('Evil Project');
      expect(withoutColours).toContain('Mallory Admin');
      expect(text.includes('\u001b[')).toBe(color === 'always');
    }
  });

  it('ndjson on a terminal is inert and still the same JSON', async () => {
    const stdout = captureStream({ tty: true });
    const writer = createRecordWriter(testContext({ stdout }), { format: 'ndjson' });
    await writer.write(record);
    await writer.end();
    expect(stdout.text()).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(JSON.parse(stdout.text())).toEqual(record);
  });

  it('ndjson in a pipe is byte for byte JSON.stringify', async () => {
    const stdout = captureStream();
    const writer = createRecordWriter(testContext({ stdout }), { format: 'ndjson' });
    await writer.write(record);
    await writer.end();
    expect(stdout.text()).toBe(`${JSON.stringify(record)}\n`);
  });

  it('csv on a terminal drops the controls; in a pipe it keeps the data intact', async () => {
    for (const tty of [true, false]) {
      const stdout = captureStream({ tty });
      const writer = createRecordWriter(testContext({ stdout }), { format: 'csv' });
      await writer.write(record);
      await writer.end();
      if (tty) expect(stdout.text().replace(/\r\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      else expect(stdout.text()).toContain('comment:new\u001b[2J');
    }
  });
});
