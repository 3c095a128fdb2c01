import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { charWidth, displayWidth, truncateToWidth } from '../../src/output/width.js';

describe('displayWidth', () => {
  const cases: Array<[string, number]> = [
    ['abc', 3],
    ['日本語', 6],
    ['한국', 4],
    ['🎬', 2],
    ['☕', 2],
    ['✔', 1],
    ['©', 1],
    ['e\u0301', 1],
    ['a\u200bb', 2],
    ['ＡＢ', 4],
    ['', 0],
  ];
  it.each(cases)('%j takes %i cells', (text, width) => {
    expect(displayWidth(text)).toBe(width);
  });
});

describe('truncateToWidth', () => {
  it('cuts to the width with … and never splits a wide character', () => {
    expect(truncateToWidth('abcdef', 4)).toBe('abc…');
    expect(truncateToWidth('abcd', 4)).toBe('abcd');
    expect(truncateToWidth('日本語', 4)).toBe('日…');
    expect(truncateToWidth('日本語', 5)).toBe('日本…');
    expect(truncateToWidth('abc', 0)).toBe('');
    expect(truncateToWidth('abc', 1)).toBe('…');
  });
});

describe('against string-width, the reference', () => {
  // Every code point of the BMP and of the emoji planes, and a sample of the rest (all of it
  // takes seconds through string-width). Controls and lone surrogates never reach this code.
  const codePoints = function* (): Generator<number> {
    for (let cp = 0x20; cp <= 0x10ffff; cp += cp <= 0xffff || (cp >= 0x1f000 && cp <= 0x1fbff) ? 1 : 97) {
      if ((cp >= 0x7f && cp < 0xa0) || (cp >= 0xd800 && cp <= 0xdfff)) continue;
      yield cp;
    }
  };
  // Counted one cell on their own so that the clusters they end are never counted short.
  const widening = new Set([0xfe0f, 0x20e3]);

  it('gives every single code point the width string-width gives it', () => {
    const differ: string[] = [];
    for (const cp of codePoints()) {
      if (widening.has(cp)) continue;
      const char = String.fromCodePoint(cp);
      if (charWidth(char) !== stringWidth(char))
        differ.push(`U+${cp.toString(16)}: ${charWidth(char)} vs ${stringWidth(char)}`);
    }
    expect(differ).toEqual([]);
  });

  it('never counts a cluster of several code points narrower than string-width does', () => {
    const clusters = [
      '👨‍👩‍👧', // a ZWJ family
      '❤‍🔥',
      '✔️', // a text symbol made a picture by VS16
      '❤️',
      '☕️',
      '#️⃣', // keycaps, with and without VS16
      '1⃣',
      '🇫🇷', // a flag: two regional indicators
      '👍🏽', // a skin tone
      'ᄀ하', // Hangul jamo
      'e\u0301\u0302',
      'क्षि', // Devanagari with a spacing mark
    ];
    for (const cluster of clusters) {
      expect(displayWidth(cluster), JSON.stringify(cluster)).toBeGreaterThanOrEqual(stringWidth(cluster));
      expect(displayWidth(`ab${cluster}cd`)).toBeGreaterThanOrEqual(stringWidth(`ab${cluster}cd`));
    }
  });
});
