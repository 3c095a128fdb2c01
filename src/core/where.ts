/**
 * `--where FIELD=VALUE` (and `FIELD!=VALUE`): filters on any field of the record, for what
 * the dedicated flags do not cover. VALUE is a glob: `*` any run of characters, `?` one, `\`
 * makes the next character literal; matching ignores case (names are typed by people, ids
 * are lower-case hex anyway). An empty VALUE means "no value" (null, missing or empty).
 *
 * Clauses on the same field are alternatives (`--where data.task_status_id=A --where
 * data.task_status_id=B` keeps both); clauses on different fields must all hold. A `!=`
 * clause excludes whatever it matches. An array value matches when one of its items does.
 */
import { UsageError } from '../errors.js';
import { FIELD_HELP, fieldText, parseFieldPath, type FieldPath } from './fields.js';
import type { EventRecord } from './record.js';

export interface WhereClause {
  field: FieldPath;
  negated: boolean;
  /** The VALUE as typed. */
  value: string;
  test(text: string | null): boolean;
}

export interface WhereFilter {
  readonly clauses: readonly WhereClause[];
  /** Whether `names.*` fields are used (the names must be attached before matching). */
  readonly needsNames: boolean;
  matches(record: EventRecord): boolean;
  /** Canonical text of the clauses (sorted), e.g. for a checkpoint to tell queries apart. */
  describe(): string;
}

const EXAMPLE = 'such as --where data.task_id=1a2b* or --where names.entity=SH01*';

export function parseWhereClause(text: string): WhereClause {
  const at = text.indexOf('=');
  if (at <= 0) {
    throw new UsageError(`--where '${shown(text)}' is not FIELD=VALUE`, `${EXAMPLE}; fields are ${FIELD_HELP}`);
  }
  const negated = text[at - 1] === '!';
  const fieldPart = text.slice(0, negated ? at - 1 : at);
  const value = text.slice(at + 1);
  const field = parseFieldPath(fieldPart, '--where');
  return { field, negated, value, test: valueMatcher(value) };
}

export function parseWhere(texts: readonly string[]): WhereFilter {
  const clauses = texts.map(parseWhereClause);
  const byField = new Map<string, { field: FieldPath; include: WhereClause[]; exclude: WhereClause[] }>();
  for (const clause of clauses) {
    const group = byField.get(clause.field.label) ?? { field: clause.field, include: [], exclude: [] };
    (clause.negated ? group.exclude : group.include).push(clause);
    byField.set(clause.field.label, group);
  }
  const groups = [...byField.values()];
  return {
    clauses,
    needsNames: clauses.some((c) => c.field.root === 'names'),
    matches(record) {
      for (const group of groups) {
        const value = group.field.get(record);
        const texts = Array.isArray(value) ? (value.length === 0 ? [null] : value.map(fieldText)) : [fieldText(value)];
        const hit = (clause: WhereClause) => texts.some((t) => clause.test(t));
        if (group.include.length > 0 && !group.include.some(hit)) return false;
        if (group.exclude.some(hit)) return false;
      }
      return true;
    },
    describe: () =>
      clauses
        .map((c) => `${c.field.label}${c.negated ? '!=' : '='}${c.value}`)
        .sort()
        .join('\n'),
  };
}

/** A case-insensitive glob over the whole text; '' matches no value. */
export function valueMatcher(glob: string): (text: string | null) => boolean {
  if (glob === '') return (text) => text === null || text === '';
  let source = '^';
  let literal = true;
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) {
      source += escapeRegExp(glob[(i += 1)]!);
    } else if (c === '*') {
      source += '.*';
      literal = false;
    } else if (c === '?') {
      source += '.';
      literal = false;
    } else {
      source += escapeRegExp(c);
    }
  }
  if (literal) {
    const wanted = glob.replace(/\\(.)/g, '$1').toLowerCase();
    return (text) => text !== null && text.toLowerCase() === wanted;
  }
  const regex = new RegExp(`${source}$`, 'is');
  return (text) => text !== null && regex.test(text);
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function shown(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
