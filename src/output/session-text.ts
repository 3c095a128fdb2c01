/** How `whoami`, `profiles` and `login` tell a person about a session: its user, its end. */

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
export function describeUser(user: { full_name: string; email: string }): string {
  return user.email && user.email !== user.full_name ? `${user.full_name} <${user.email}>` : user.full_name;
}
