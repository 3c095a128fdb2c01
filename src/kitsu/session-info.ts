/**
 * When a session ends for good: a bot token never does, a password login lasts as long as its
 * refresh token, a bare access token until its `exp`. How that reads for a person is in
 * src/output/session-text.ts.
 */
import { expiresAt } from './jwt.js';

export interface TokenPair {
  bot: boolean;
  accessToken: string;
  refreshToken?: string;
}

/** When the session ends for good, in ms since the epoch; null for never. */
export function sessionEnd(tokens: TokenPair): number | null {
  if (tokens.bot || !tokens.refreshToken) return expiresAt(tokens.accessToken);
  return expiresAt(tokens.refreshToken);
}
