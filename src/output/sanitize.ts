/**
 * Terminal hygiene. Everything in an event comes from the server, and through it from anyone
 * who can name a shot or write a comment: a payload holding `\u001b]0;pwned\u0007` would set
 * the terminal title, `\u001b[2J` clear the screen, `\r` overwrite the start of a line. Text
 * bound for a terminal passes through here first.
 */

// Whole escape sequences, so that their parameters do not linger as visible junk:
// CSI (ESC [ or 0x9b) … final byte; OSC (ESC ] or 0x9d) … BEL or ST; DCS, SOS, PM and APC
// strings (ESC P/X/^/_ or 0x90/0x98/0x9e/0x9f) … ST; any other ESC with its intermediates.
// An unterminated string swallows the rest of the text, which is what a terminal would do.
const ESCAPE_SEQUENCES = new RegExp(
  [
    '(?:\\x1b\\[|\\x9b)[0-?]*[ -/]*[@-~]?',
    '(?:\\x1b\\]|\\x9d)[^\\x07\\x1b\\x9c]*(?:\\x07|\\x1b\\\\|\\x9c)?',
    '(?:\\x1b[PX^_]|[\\x90\\x98\\x9e\\x9f])[^\\x1b\\x9c]*(?:\\x1b\\\\|\\x9c)?',
    '\\x1b[ -/]*[0-~]?',
  ].join('|'),
  'g',
);
const LINE_BREAKING = /[\t\n\v\f\r\u0085\u2028\u2029]/g;
// C0 and C1 controls, DEL, and the bidirectional overrides that can make text read backwards.
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** One line of plain, inert text: escape sequences removed, line breaks and tabs made spaces. */
export function sanitizeForTerminal(text: string): string {
  return text.replace(ESCAPE_SEQUENCES, '').replace(LINE_BREAKING, ' ').replace(CONTROLS, '');
}

// JSON.stringify escapes C0 controls but leaves DEL, C1 and the bidi overrides raw.
const RAW_IN_JSON = /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]/g;

/**
 * JSON text made safe to show on a terminal without changing what it means: the characters a
 * terminal may act on become `\uXXXX` escapes, which parse back to the same string. (They can
 * only occur inside JSON strings, where such an escape is always allowed.)
 */
export function escapeJsonForTerminal(json: string): string {
  return json.replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
