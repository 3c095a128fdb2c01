/**
 * What to tell a person whose patterns may be mistyped: a pattern that matches none of the
 * event names Kitsu is known to send (src/core/event-names.ts) gets the closest one that does,
 * and an empty result says what it looked for. A warning, not an error: plugins and custom
 * entity types send names that no list here can know.
 */
import { editDistance } from './close-matches.js';
import { ZOU_EVENT_NAMES } from './event-names.js';
import { parsePatterns, type EventFilter } from './patterns.js';

/** The forms a suggestion may take: every known name, `object:*` and `*:action`. */
function candidatesOf(known: readonly string[]): string[] {
  const all = new Set<string>(known);
  for (const name of known) {
    const [object, action] = name.split(':');
    all.add(`${object}:*`);
    all.add(`*:${action}`);
  }
  return [...all];
}

/** The known pattern closest to `pattern`, a few edits away at most; undefined when none is. */
export function closestPattern(pattern: string, known: readonly string[] = ZOU_EVENT_NAMES): string | undefined {
  let best: { text: string; score: number } | undefined;
  for (const candidate of candidatesOf(known)) {
    const score = editDistance(pattern, candidate);
    if (!best || score < best.score || (score === best.score && candidate < best.text))
      best = { text: candidate, score };
  }
  return best && best.score <= Math.max(2, Math.floor(pattern.length / 3)) ? best.text : undefined;
}

/**
 * One warning for each pattern (positive or `!negative`) that matches no known event name:
 * `no known event name matches 'tsk:*'; did you mean 'task:*'?`.
 */
export function unknownPatternWarnings(filter: EventFilter, known: readonly string[] = ZOU_EVENT_NAMES): string[] {
  const warnings: string[] = [];
  const patterns = [...filter.include.map((p) => ['', p] as const), ...filter.exclude.map((p) => ['!', p] as const)];
  for (const [bang, pattern] of patterns) {
    const alone = parsePatterns([pattern]);
    if (known.some((name) => alone.matches(name))) continue;
    const close = closestPattern(pattern, known);
    warnings.push(
      `no known event name matches '${bang}${pattern}'${close ? `; did you mean '${bang}${close}'?` : ''}` +
        ' (plugins and custom entity types may send names not known here)',
    );
  }
  return warnings;
}

/** A few object patterns, for "known names look like …". */
export const NAME_EXAMPLES = 'task:*, comment:*, shot:*';

/**
 * `no events matched 'tsk:*' since 09:00; known names look like task:*, comment:*, shot:*`:
 * what an empty result says on a terminal. `range` is in the reader's words (`since 09:00`,
 * `in the event log`); `filtered` says whether flags other than the patterns narrowed it.
 */
export function noMatchLine(options: {
  filter: EventFilter;
  what: 'events' | 'logins';
  range: string;
  filtered: boolean;
}): string {
  const { filter, what, range, filtered } = options;
  const patterns = [...filter.include.map((p) => `'${p}'`), ...filter.exclude.map((p) => `'!${p}'`)];
  if (patterns.length > 0)
    return `no ${what} matched ${patterns.join(' ')} ${range}; known names look like ${NAME_EXAMPLES}`;
  return filtered ? `no ${what} matched the filters ${range}` : `no ${what} ${range}`;
}
