/**
 * How many terminal cells text takes, so a table row can be cut to the window without
 * wrapping: CJK and emoji take two cells, combining marks none. Text here has been sanitised
 * already (no control characters).
 *
 * Which characters are wide comes from get-east-asian-width (Unicode's East Asian Width
 * tables, as string-width uses them); zero width and emoji are decided as string-width does.
 * We measure code point by code point rather than call string-width, whose grapheme
 * segmentation (Intl.Segmenter) costs twenty to forty times more per line
 * (test/bench/width.bench.ts), and the live table measures every line. The two agree on every
 * single code point (test/output/width.test.ts); on a cluster of several (a ZWJ family, a
 * symbol with U+FE0F) ours counts at least as many cells, so a cut line may end a cell early
 * but never wraps. cli-truncate was tried for the cut: it lets '日本語' at 4 cells take 5.
 */
import { eastAsianWidth } from 'get-east-asian-width';

// Marks, format characters and default-ignorable ones (ZWJ, variation selector 15…) print nothing.
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\p{Default_Ignorable_Code_Point}]$/u;
// Emoji shown as pictures by default (☕, 🎬) take two cells; text-style symbols (✔, ©) one.
const EMOJI = /^\p{Emoji_Presentation}$/u;
// One regional indicator is half a flag: a pair (🇫🇷) takes two cells.
const REGIONAL_INDICATOR = /^\p{Regional_Indicator}$/u;
// VS16 turns the symbol before it into a two-cell picture (✔️), and U+20E3 a digit into a
// keycap (#⃣): counted one cell each, such a pair is never counted short.
const WIDENING = new Set(['\ufe0f', '\u20e3']);
const SOFT_HYPHEN = 0xad;

export function charWidth(char: string): number {
  const cp = char.codePointAt(0) ?? 0;
  // Latin text, the common case, without the Unicode property tests below.
  if (cp >= 0x20 && cp < 0x300 && cp !== SOFT_HYPHEN) return 1;
  if (WIDENING.has(char)) return 1;
  if (ZERO_WIDTH.test(char)) return 0;
  if (REGIONAL_INDICATOR.test(char)) return 1;
  return EMOJI.test(char) ? 2 : eastAsianWidth(cp);
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export function displayWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  let width = 0;
  for (const char of text) width += charWidth(char);
  return width;
}

/** Cuts `text` to at most `width` cells, ending with `…` when something was cut. */
export function truncateToWidth(text: string, width: number): string {
  if (width <= 0) return '';
  if (displayWidth(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const char of text) {
    const w = charWidth(char);
    if (used + w > width - 1) break;
    out += char;
    used += w;
  }
  return `${out}…`;
}
