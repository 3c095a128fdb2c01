/**
 * Event-name patterns, shared by `listen` and `logs`.
 *
 * Kitsu event names are `<object>:<action>`, lower case, with dashes inside each part
 * (`preview-file:add-file`, `task:status-changed`). Zou lower-cases every name it emits, so
 * patterns are lower-cased too and `Task:*` means `task:*`.
 *
 * The glob grammar, chosen so that each wildcard stays inside one part of the name:
 * - `*` matches any run of characters (possibly none) other than `:`;
 * - `?` matches exactly one character other than `:`;
 * - everything else matches itself; a pattern must contain exactly one `:` and no empty part,
 *   except the lone `*`, which matches every name.
 * So `task:*` is every action on tasks (but not `task-type:new`), `*:delete` every deletion,
 * `task:status-*` the status actions of tasks, and `task*:*` tasks, task types and task
 * statuses. A leading `!` makes a pattern exclude.
 *
 * An event passes when it matches at least one positive pattern (or there is none) and no
 * negative one.
 */
import { UsageError } from '../errors.js';
import type { ServerCapabilities } from './capabilities.js';

export interface EventFilter {
  /** The positive patterns, normalised (lower case). */
  readonly include: readonly string[];
  /** The negative patterns without their `!`, normalised. */
  readonly exclude: readonly string[];
  matches(name: string): boolean;
}

/** What `data/events/last` can filter on by name (src/kitsu/README.md, Event log). */
export interface ServerNameFilter {
  name?: string;
  name_prefixes?: string[];
  name_suffixes?: string[];
}

const EXAMPLE = "for example 'task:*', '*:delete', 'task:status-changed' or '!task:update'";
/** Characters a Kitsu event name is made of (table names with dashes, plugin names), plus the wildcards. */
const PATTERN_CHARS = /^[a-z0-9_.*?:-]+$/;
/** What `name_prefixes` / `name_suffixes` accept (anything else is a 400). */
const SERVER_PART = /^[a-z0-9-]+$/;

interface Compiled {
  source: string;
  regex: RegExp;
}

/**
 * The patterns of the arguments plus one `!pattern` for each `--exclude` (repeatable), which
 * exists because `!` inside double quotes is history expansion in bash.
 */
export function withExcludes(args: readonly string[], excludes: readonly string[] | undefined): string[] {
  return [...args, ...(excludes ?? []).map((pattern) => (pattern.startsWith('!') ? pattern : `!${pattern}`))];
}

function patternError(pattern: string, problem: string): UsageError {
  // The message goes to a terminal: control characters are shown as '?', not acted on.
  const shown = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return new UsageError(`bad event pattern '${shown(pattern)}': ${shown(problem)}`, EXAMPLE);
}

function compile(raw: string): Compiled {
  const negative = raw.startsWith('!');
  const body = (negative ? raw.slice(1) : raw).toLowerCase();
  if (raw === '') throw patternError(raw, 'it is empty');
  if (body === '') throw patternError(raw, "a '!' needs a pattern after it, as in '!task:update'");
  if (body.startsWith('!')) throw patternError(raw, "use a single '!' to exclude");
  if (/[\s,]/.test(body)) {
    throw patternError(raw, 'give each pattern as its own argument, without spaces or commas');
  }
  if (!PATTERN_CHARS.test(body)) {
    const bad = [...body].find((c) => !PATTERN_CHARS.test(c));
    throw patternError(raw, `'${bad}' never appears in an event name (names use a-z, 0-9, '-', '_', '.' and one ':')`);
  }
  if (body !== '*') {
    const parts = body.split(':');
    if (parts.length < 2) {
      throw patternError(raw, `event names are <object>:<action>; did you mean '${negative ? '!' : ''}${body}:*'?`);
    }
    if (parts.some((part) => part === '')) {
      throw patternError(raw, "both sides of ':' need something, such as 'task:*'");
    }
    if (parts.length > 2) {
      const [object, ...action] = parts;
      throw patternError(
        raw,
        `event names have one ':', so nothing can match it; did you mean '${negative ? '!' : ''}${object}:${action.join('-')}'?`,
      );
    }
  }
  return { source: body, regex: body === '*' ? /^/ : globToRegExp(body) };
}

/**
 * Our own few lines rather than picomatch: picomatch passes every test of patterns.test.ts, but
 * its separator is '/', so each event name would be rewritten before matching, it matches
 * about 2.3 times slower and takes ~16 ms to load, for a grammar whose characters compile()
 * has already checked.
 */
function globToRegExp(glob: string): RegExp {
  let out = '^';
  for (const c of glob) {
    if (c === '*') out += '[^:]*';
    else if (c === '?') out += '[^:]';
    else out += c.replace(/[.-]/g, '\\$&');
  }
  return new RegExp(`${out}$`);
}

/** Parses the PATTERN arguments; throws UsageError (exit 2) on the first bad one. */
export function parsePatterns(patterns: readonly string[]): EventFilter {
  const include: Compiled[] = [];
  const exclude: Compiled[] = [];
  for (const raw of patterns) {
    (raw.startsWith('!') ? exclude : include).push(compile(raw));
  }
  return {
    include: include.map((p) => p.source),
    exclude: exclude.map((p) => p.source),
    matches(name: string): boolean {
      const lower = name.toLowerCase();
      if (include.length > 0 && !include.some((p) => p.regex.test(lower))) return false;
      return !exclude.some((p) => p.regex.test(lower));
    },
  };
}

/**
 * Whether some name `<object>:<action>` can pass `filter`, for the given object and some
 * action: false only when no positive pattern's object part matches it, or a negative
 * pattern excludes every action of it (`!project:*`).
 */
export function admitsObject(filter: EventFilter, object: string): boolean {
  const objectOf = (pattern: string): string => pattern.slice(0, pattern.indexOf(':'));
  const objectMatches = (pattern: string): boolean => pattern === '*' || globToRegExp(objectOf(pattern)).test(object);
  if (filter.include.length > 0 && !filter.include.some(objectMatches)) return false;
  return !filter.exclude.some((pattern) => objectMatches(pattern) && (pattern === '*' || pattern.endsWith(':*')));
}

const hasWildcard = (part: string): boolean => /[*?]/.test(part);

/**
 * The part of `filter` the server can apply, as query parameters. It always keeps a superset
 * of what `filter.matches` keeps (negative patterns are left to the client, which applies
 * `filter.matches` to every row anyway); an empty object when the server cannot help.
 *
 * - one positive pattern without wildcards → `name` (0.19.28+);
 * - every positive pattern has a literal object part → `name_prefixes` with those objects
 *   (1.0.63+), since each such pattern only matches names starting with `<object>:`;
 * - else every positive pattern has a literal action part → `name_suffixes` likewise.
 */
export function serverNameFilter(filter: EventFilter, caps: ServerCapabilities): ServerNameFilter {
  const positives = filter.include;
  if (positives.length === 0 || positives.includes('*')) return {};
  if (positives.length === 1 && caps.nameFilter && !hasWildcard(positives[0]!)) {
    return { name: positives[0]! };
  }
  if (!caps.prefixSuffixPersonFilters) return {};
  const objects = positives.map((p) => p.slice(0, p.indexOf(':')));
  if (objects.every((o) => !hasWildcard(o) && SERVER_PART.test(o))) {
    return { name_prefixes: unique(objects) };
  }
  const actions = positives.map((p) => p.slice(p.lastIndexOf(':') + 1));
  if (actions.every((a) => !hasWildcard(a) && SERVER_PART.test(a))) {
    return { name_suffixes: unique(actions) };
  }
  return {};
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
