/**
 * How `whoami` and `profiles` tell a person when a session ends: a bot token never does, a
 * password login lasts as long as its refresh token, a bare access token until its `exp`.
 */
import { expiresAt } from './jwt.js';
import type { SessionUser } from './types.js';

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

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-12-14 10:00` in the local time of the machine, for people. */
export function localTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "never (bot token)", "2026-12-14 10:00", or "ended 2026-…" against `nowMs`. */
export function describeEnd(endMs: number | null, nowMs: number, bot: boolean): string {
  if (endMs === null) return bot ? 'never (bot token)' : 'never';
  return endMs <= nowMs ? `ended ${localTime(endMs)}` : localTime(endMs);
}

/** ISO 8601 UTC or null, for JSON. */
export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** "Super Admin <admin@example.com>", or just the name when there is no other e-mail. */
export function describeUser(user: SessionUser): string {
  return user.email && user.email !== user.full_name ? `${user.full_name} <${user.email}>` : user.full_name;
}
