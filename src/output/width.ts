/**
 * How many terminal cells text takes, so a table row can be cut to the window without
 * wrapping: CJK and emoji take two cells, combining marks none. An approximation of
 * wcwidth, enough for names and comments; text here has been sanitised already.
 */

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b-\u200d\u2060\ufeff]$/u;
// Emoji shown as pictures by default (☕, 🎬) take two cells; text-style symbols (✔, ©) one.
const EMOJI = /^\p{Emoji_Presentation}$/u;

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

export function charWidth(char: string): number {
  const cp = char.codePointAt(0) ?? 0;
  // Latin text, the common case, without the Unicode property tests below.
  if (cp >= 0x20 && cp < 0x300) return 1;
  if (ZERO_WIDTH.test(char)) return 0;
  return isWide(cp) || EMOJI.test(char) ? 2 : 1;
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
