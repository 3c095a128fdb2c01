/**
 * A time the user did not type, as a person reads it: local wall-clock time, with the date
 * only when it is not today (`09:26`, `2026-11-28 18:00`). Messages use this instead of ISO
 * 8601, which people do not read at a glance and which is in UTC.
 */
import { systemTimeZone, toLocalFields, type TimeZone } from '../core/time.js';

const two = (n: number) => String(n).padStart(2, '0');

export function localTimeText(ms: number, nowMs: number, zone: TimeZone = systemTimeZone): string {
  const at = toLocalFields(ms, zone);
  const today = toLocalFields(nowMs, zone);
  const clock = `${two(at.hour)}:${two(at.minute)}`;
  const sameDay = at.year === today.year && at.month === today.month && at.day === today.day;
  return sameDay ? clock : `${at.year}-${two(at.month)}-${two(at.day)} ${clock}`;
}
