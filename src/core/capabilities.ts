/**
 * What a Zou server of a given version can do, from the table in src/kitsu/README.md,
 * Versions. Servers in the field range from 0.19 to 1.0.x; code asks these flags
 * instead of comparing versions itself.
 */

export interface ServerCapabilities {
  /** The version these flags were derived from, as the server reported it. */
  version: string;
  /** Whether `version` could be read; when not, every flag is that of the newest server. */
  known: boolean;
  /** Rows-per-page parameter: `page_size` before 0.19.70, `limit` since. */
  pageParam: 'limit' | 'page_size';
  /** Pages larger than 1000 rows are cut to 1000 (1.0.16+); older servers return what was asked. */
  pageCapped: boolean;
  /** `cursor_event_id` / `cursor_login_log_id` paging (1.0.4+). */
  cursor: boolean;
  /** Exact `name` filter (0.19.28+). */
  nameFilter: boolean;
  /** `name_prefixes`, `name_suffixes` and `person_ids` (1.0.63+). */
  prefixSuffixPersonFilters: boolean;
  /** Log rows carry `project_id` (1.0.63+); before, it is only in `data`. */
  projectIdInRows: boolean;
  /** Managers see only their projects' events, and none without a project (1.0.63+). */
  managerScoping: boolean;
  /** `GET data/events/names` exists (1.0.63+). */
  eventNamesRoute: boolean;
  /** The login log is for admins only (1.0.63+); before, managers could read it too. */
  loginLogsAdminOnly: boolean;
}

export type Version = readonly [number, number, number];

const NAME_FILTER: Version = [0, 19, 28];
const LIMIT_PARAM: Version = [0, 19, 70];
const CURSOR: Version = [1, 0, 4];
const PAGE_CAP: Version = [1, 0, 16];
const FILTERS_AND_SCOPING: Version = [1, 0, 63];

/**
 * `1.0.67`, `v1.0.67`, `1.0.67rc1`, `1.0.67-dev` or `1.0` → its numbers; null when the text
 * does not start with a version.
 */
export function parseVersion(text: string): Version | null {
  const match = /^\s*v?(\d+)\.(\d+)(?:\.(\d+))?/i.exec(text);
  if (!match) return null;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`. */
export function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

export function capabilitiesOf(version: string): ServerCapabilities {
  const parsed = parseVersion(version);
  const atLeast = (min: Version): boolean => parsed === null || compareVersions(parsed, min) >= 0;
  return {
    version,
    known: parsed !== null,
    pageParam: atLeast(LIMIT_PARAM) ? 'limit' : 'page_size',
    pageCapped: atLeast(PAGE_CAP),
    cursor: atLeast(CURSOR),
    nameFilter: atLeast(NAME_FILTER),
    prefixSuffixPersonFilters: atLeast(FILTERS_AND_SCOPING),
    projectIdInRows: atLeast(FILTERS_AND_SCOPING),
    managerScoping: atLeast(FILTERS_AND_SCOPING),
    eventNamesRoute: atLeast(FILTERS_AND_SCOPING),
    loginLogsAdminOnly: atLeast(FILTERS_AND_SCOPING),
  };
}
