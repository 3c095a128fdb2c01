/**
 * Times as a person reads them in the views of this module's neighbours (the `--fields`
 * table, `--stats`): local time on a terminal, or UTC with `--utc`; the zone said once (in a
 * header), not on every line; the date only when the times span more than one day.
 */
import { namedTimeZone, systemTimeZone, toLocalFields, utcTimeZone, type TimeZone } from '../core/time.js';

export interface ClockText {
  zone: TimeZone;
  /** `UTC`, or `UTC+01:00`, with the zone's name when known: `UTC+01:00 Europe/Paris`. */
  zoneLabel(atMs: number): string;
  /** `HH:MM:SS`, or `YYYY-MM-DD HH:MM:SS` when `withDate`. */
  time(ms: number, withDate: boolean): string;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Minutes east of UTC as `+01:00`, `-05:30`, `+00:00`. */
export function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/**
 * The local zone of a run: the TZ of its environment when that names a zone (the same zone
 * the runtime itself took from TZ when the environment is the process's), else the runtime's,
 * whose name clockText() asks the runtime for only when a label shows it.
 */
export function localZone(env: Record<string, string | undefined>): { zone: TimeZone; name?: string } {
  const tz = env.TZ?.replace(/^:/, '');
  if (tz) {
    try {
      return { zone: namedTimeZone(tz), name: tz };
    } catch {
      // Not a zone Intl knows (a POSIX rule such as EST5EDT,M3.2.0): the runtime's reading of it.
    }
  }
  return { zone: systemTimeZone };
}

/** The clock of a run: UTC when asked, else the given zone (default the runtime's). */
export function clockText(options: { utc?: boolean; zone?: TimeZone; zoneName?: string } = {}): ClockText {
  const zone = options.utc ? utcTimeZone : (options.zone ?? systemTimeZone);
  // The runtime's zone name costs its time-zone data (tens of ms at start-up): asked for only
  // when a label shows it, which JSON output never does.
  let name: string | undefined;
  let named = false;
  const zoneName = (): string | undefined => {
    if (!named) {
      name = options.zoneName ?? (zone === systemTimeZone ? runtimeZoneName() : undefined);
      named = true;
    }
    return name;
  };
  return {
    zone,
    zoneLabel(atMs) {
      if (options.utc) return 'UTC';
      const name = zoneName();
      const offset = zone.offsetAt(atMs);
      const base = offset === 0 ? 'UTC' : `UTC${offsetText(offset)}`;
      return name && name !== 'UTC' ? `${base} ${name}` : base;
    },
    time(ms, withDate) {
      const f = toLocalFields(ms, zone);
      const clock = `${pad2(f.hour)}:${pad2(f.minute)}:${pad2(f.second)}`;
      return withDate ? `${f.year}-${pad2(f.month)}-${pad2(f.day)} ${clock}` : clock;
    },
  };
}

function runtimeZoneName(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    return undefined;
  }
}

/** Whether two instants fall on different local days in `zone`. */
export function spansDays(fromMs: number, toMs: number, zone: TimeZone): boolean {
  const a = toLocalFields(fromMs, zone);
  const b = toLocalFields(toMs, zone);
  return a.year !== b.year || a.month !== b.month || a.day !== b.day;
}
