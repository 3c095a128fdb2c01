import { describe, expect, it } from 'vitest';
import { displayWidth, truncateToWidth } from '../../src/output/width.js';

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
