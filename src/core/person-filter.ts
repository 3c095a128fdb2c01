/**
 * The two ways an event concerns a person, each with its own flag in every command:
 *
 * - `--by PERSON`: who acted, the log row's `user_id`. Only the stored log knows it (a live
 *   event never says who acted), so it belongs to `logs` (without --follow) and `bridge`;
 *   servers from 1.0.63 filter it themselves (`person_ids`).
 * - `--about PERSON`: who the event is about, its `data.person_id` (assignments, status
 *   changes…). Live and stored events alike carry it, so `listen`, `demo`, `logs` and
 *   `logs --follow` take it; the server cannot filter on it, the client does.
 *
 * `--person` meant the first in `logs` and `bridge` and the second in `listen` and `demo` (and
 * both, one after the other, in `logs --follow`). It stays one release as a deprecated alias of
 * what it meant in each command, saying so on every use.
 */
import { UsageError } from '../errors.js';
import type { EventRecord } from './record.js';

/** The log's --by: `record` was made by one of `personIds`. */
export function actedByOneOf(record: Pick<EventRecord, 'user_id'>, personIds: readonly string[]): boolean {
  return record.user_id !== null && personIds.includes(record.user_id);
}

/** --about: `record` is about one of `personIds` (its `data.person_id`). */
export function isAboutOneOf(record: Pick<EventRecord, 'data'>, personIds: ReadonlySet<string>): boolean {
  const person = record.data.person_id;
  return typeof person === 'string' && personIds.has(person);
}

/** The commands that take a person, and what the deprecated `--person` meant in each. */
export const PERSON_MEANT = { logs: 'by', bridge: 'by', listen: 'about', demo: 'about' } as const;
export type PersonCommand = keyof typeof PERSON_MEANT;

/** --by, --about and --person as commander parsed them (each repeatable). */
export interface PersonFlags {
  by?: string[];
  about?: string[];
  person?: string[];
}

/** The people a command filters on, and the deprecation notice to print when --person was used. */
export interface PersonPlan {
  by: string[];
  about: string[];
  /** The flag to name in a message about each list: what was typed, so --person while it lasts. */
  flags: { by: '--by' | '--person'; about: '--about' | '--person' };
  /** Said on stderr when the command runs (a plan prints nothing). */
  notice?: string;
}

/** Folds the deprecated `--person` into the flag it meant in `command`; refuses an empty one. Pure. */
export function planPeople(command: PersonCommand, given: PersonFlags): PersonPlan {
  const by = [...(given.by ?? [])];
  const about = [...(given.about ?? [])];
  // Empty would match every empty label (a person with no desktop login…), not a choice.
  for (const [flag, refs] of [
    ['--by', given.by],
    ['--about', given.about],
    ['--person', given.person],
  ] as const) {
    if (refs?.some((ref) => ref.trim() === '')) throw new UsageError(`${flag} is empty`, 'give a person name or id');
  }
  const flags: PersonPlan['flags'] = { by: '--by', about: '--about' };
  if (!given.person?.length) return { by, about, flags };
  if (PERSON_MEANT[command] === 'by') {
    by.push(...given.person);
    if (!given.by?.length) flags.by = '--person';
  } else {
    about.push(...given.person);
    if (!given.about?.length) flags.about = '--person';
  }
  return { by, about, flags, notice: deprecationNotice(command) };
}

/** One line: what --person meant here, what it is now, and that it differed between commands. */
export function deprecationNotice(command: PersonCommand): string {
  const here = PERSON_MEANT[command] === 'by' ? 'who acted, now --by' : 'who an event is about, now --about';
  const there =
    PERSON_MEANT[command] === 'by'
      ? 'in listen it meant who an event is about, now --about'
      : 'in logs it meant who acted, now --by';
  return `--person is deprecated and goes in the next release: in ${command} it meant ${here} (${there})`;
}
