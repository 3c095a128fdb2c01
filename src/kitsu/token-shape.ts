/**
 * Whether a token can travel in an `Authorization` header at all. A token with a line break
 * inside (two pasted lines), a space, or a character outside ASCII (a curly quote from a
 * document) cannot be sent; undici refuses the header, which used to read as a network
 * failure. Such a token is malformed, and saying so names the real fix. Zou's tokens are JWTs:
 * base64url and dots, all printable ASCII.
 */

/** What is wrong with the token's characters, or null when it can be sent. */
export function tokenFlaw(token: string): string | null {
  for (const char of token) {
    const code = char.codePointAt(0)!;
    if (code === 0x0a || code === 0x0d) return 'a line break';
    if (code === 0x20 || code === 0x09) return 'a space or tab';
    if (code < 0x20 || code === 0x7f) return 'a control character';
    if (code > 0x7e) return 'a character that is not ASCII';
  }
  return null;
}

/** The sentence for a malformed token from `where` ("KITSU_TOKEN", "--token"), or null. Never quotes the token. */
export function malformedTokenMessage(token: string, where: string): string | null {
  const flaw = tokenFlaw(token);
  return flaw
    ? `the token in ${where} is malformed: it holds ${flaw}, and a token is one word of printable ASCII`
    : null;
}
