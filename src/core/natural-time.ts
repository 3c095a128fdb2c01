/**
 * The forgiving forms of a time that people type (`yesterday 17:00`, `last monday`,
 * `3 days ago`, `in 2 hours`, `noon`), read by chrono-node's English parsers. parseTime
 * (time.ts) asks here only when its strict grammar cannot read the text, so the documented
 * forms keep their exact meaning and their precise errors.
 *
 * Only chrono's relative and casual parsers are used: numeric dates such as 29/11/2026 (day
 * first or month first?) and bare month names (`may`: this May or next?) stay errors rather
 * than guesses. The whole text must be one time: 'yesterday-ish' is not read as 'yesterday'.
 *
 * chrono-node takes a tenth of a second or more to load: it is required on first use, so a
 * command given only strict forms never loads it.
 */
import { createRequire } from 'node:module';
import type * as ChronoEn from 'chrono-node/en';

type Chrono = InstanceType<typeof ChronoEn.Chrono>;

const RELATIVE_AND_CASUAL = new Set([
  'ENCasualDateParser', // today, yesterday, tomorrow, tonight
  'ENCasualTimeParser', // noon, midnight, this morning
  'ENWeekdayParser', // monday, last monday, next friday
  'ENRelativeDateFormatParser', // last week, next month
  'ENTimeUnitAgoFormatParser', // 3 days ago
  'ENTimeUnitLaterFormatParser', // 2 hours later
  'ENTimeUnitWithinFormatParser', // in 2 hours
  'ENTimeUnitCasualRelativeFormatParser', // +2 hours, -3 days
  'ENTimeExpressionParser', // the 17:00 of `yesterday 17:00`, 5pm
]);

let parser: Chrono | undefined;

function load(): Chrono {
  if (parser) return parser;
  const chrono = createRequire(import.meta.url)('chrono-node/en') as typeof ChronoEn;
  const configured = chrono.casual.clone();
  configured.parsers = configured.parsers.filter((p) => RELATIVE_AND_CASUAL.has(p.constructor.name));
  // Chosen by class name: a chrono-node upgrade that renames one, or a bundler that mangles
  // names, must fail loudly here rather than quietly read fewer forms.
  if (configured.parsers.length !== RELATIVE_AND_CASUAL.size) {
    throw new Error(`chrono-node: expected the parsers ${[...RELATIVE_AND_CASUAL].join(', ')}`);
  }
  parser = configured;
  return parser;
}

/**
 * A span counted from now (`3 days ago`, `in 2 hours`) is an instant, exactly as the
 * duration `3d` is; a day or a time of day (`last monday`, `yesterday 17:00`) is a wall-clock
 * time, which the local zone turns into an instant (daylight saving included).
 */
export type NaturalTime =
  | { instantMs: number }
  /** The wall-clock time written as if it were UTC (Date.UTC of its fields). */
  | { wallMs: number };

/**
 * What `text` names, read at `nowMs` where clocks are `offsetMinutes` east of UTC, or null
 * when it is not one of the forgiving forms. A day without a time of day (`last monday`,
 * `tomorrow`) means its midnight, as `today` and a bare date do in the strict grammar.
 * `future` reads a bare weekday forward.
 */
export function parseNaturalTime(
  text: string,
  nowMs: number,
  offsetMinutes: number,
  future = false,
): NaturalTime | null {
  const results = load().parse(text, { instant: new Date(nowMs), timezone: offsetMinutes }, { forwardDate: future });
  const [result] = results;
  if (results.length !== 1 || !result || result.index !== 0 || result.text.length !== text.length) return null;
  const start = result.start;
  if ([...result.tags()].includes('result/relativeDate')) return { instantMs: start.date().getTime() };
  const timeOfDay = start.isCertain('hour');
  const field = (name: 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'millisecond'): number =>
    name === 'year' || name === 'month' || name === 'day' || timeOfDay ? (start.get(name) ?? 0) : 0;
  const wallMs = Date.UTC(
    field('year'),
    field('month') - 1,
    field('day'),
    field('hour'),
    field('minute'),
    field('second'),
    field('millisecond'),
  );
  return { wallMs };
}
