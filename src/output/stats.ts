/**
 * How `logs --stats` and `--count-by` show their counts: for a person, sections of counts
 * with bars and an activity histogram drawn with block characters (coloured when colour is
 * on); for scripts, one JSON object; for spreadsheets, CSV rows.
 *
 *   1,204 events · Mon 2026-11-30 08:00 → Tue 2026-12-01 08:00 · UTC+01:00 Europe/Paris
 *
 *   Events                          count
 *     task:status-changed             412  ████████████████████████
 *     comment:new                     377  █████████████████████▉
 *   …
 *   Activity per hour
 *     Mon 11-30 08:00     31  ██████▎
 */
import { Chalk } from 'chalk';
import type { ActivityStats, Breakdown, Count, Histogram, TopCounts } from '../core/stats.js';
import { splitEntityKey } from '../core/stats.js';
import { csvLine } from './formats.js';
import { sanitizeForTerminal } from './sanitize.js';
import type { ClockText } from './clock-text.js';
import { displayWidth, truncateToWidth } from './width.js';

/** Names for the keys of the breakdowns; unknown ids are shown short. */
export interface StatsLabels {
  project?(id: string): string | undefined;
  person?(id: string): string | undefined;
  /** An entity key `kind:id` (see entityKeyOf) as people call it: `SQ01 / SH010`. */
  entity?(key: string): string | undefined;
}

export type BreakdownKind = 'name' | 'project' | 'person' | 'entity' | 'field';

export interface StatsView {
  stats: ActivityStats;
  /** The range read, when one was given (else the first and last event bound it). */
  fromMs?: number;
  toMs?: number;
  /** Rows of each breakdown. */
  top: number;
  labels: StatsLabels;
  clock: ClockText;
}

export interface TextStyle {
  color: boolean;
  /** The terminal's width; undefined: 100. */
  columns?: number;
}

const BLOCKS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const numbers = new Intl.NumberFormat('en-US');
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** A bar of `value / max` of `width` cells, in eighths of a cell. */
export function bar(value: number, max: number, width: number): string {
  if (max <= 0 || value <= 0 || width <= 0) return '';
  const eighths = Math.max(1, Math.round((value / max) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + BLOCKS[eighths % 8]!;
}

const shortId = (id: string): string => (/^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(id) ? id.slice(0, 8) : id);

/** The text of a key for a person: its name when known, else the short id. */
export function keyLabel(kind: BreakdownKind, key: string | null, labels: StatsLabels): string {
  if (key === null) {
    return { name: '(no name)', project: '(no project)', person: '(no one)', entity: '(no entity)', field: '(none)' }[
      kind
    ];
  }
  switch (kind) {
    case 'project':
      return labels.project?.(key) ?? shortId(key);
    case 'person':
      return labels.person?.(key) ?? shortId(key);
    case 'entity': {
      const named = labels.entity?.(key);
      if (named !== undefined) return named;
      const { kind: entityKind, id } = splitEntityKey(key);
      return `${entityKind} ${shortId(id)}`;
    }
    default:
      return key;
  }
}

function palette(color: boolean) {
  const chalk = new Chalk({ level: color ? 1 : 0 });
  return {
    heading: (t: string) => chalk.bold(t),
    dim: (t: string) => chalk.dim(t),
    bar: (t: string) => chalk.cyan(t),
    activity: (t: string) => chalk.green(t),
  };
}

/** Rows of `label  count  bar`, the labels cut to fit and the bars sized to what is left. */
function countRows(
  rows: ReadonlyArray<{ label: string; count: number; rest?: boolean }>,
  style: TextStyle,
  paintBar: (t: string) => string,
  labelWidthMax = 34,
): string[] {
  if (rows.length === 0) return ['  (none)'];
  const columns = style.columns ?? 100;
  const countWidth = Math.max(5, ...rows.map((r) => numbers.format(r.count).length));
  const labelWidth = Math.min(
    labelWidthMax,
    Math.max(...rows.map((r) => displayWidth(r.label))),
    Math.max(8, columns - countWidth - 12),
  );
  const barWidth = Math.max(0, Math.min(40, columns - labelWidth - countWidth - 8));
  // The "(N more)" row sums many keys: scaled with the others it would flatten their bars.
  const max = Math.max(0, ...rows.filter((r) => !r.rest).map((r) => r.count));
  return rows.map((r) => {
    const label = truncateToWidth(r.label, labelWidth);
    const padded = label + ' '.repeat(labelWidth - displayWidth(label));
    const drawn = r.rest ? '' : bar(r.count, max, barWidth);
    return `  ${padded}  ${numbers.format(r.count).padStart(countWidth)}${drawn ? `  ${paintBar(drawn)}` : ''}`;
  });
}

function breakdownRows(
  kind: BreakdownKind,
  counts: TopCounts,
  labels: StatsLabels,
): Array<{ label: string; count: number; rest?: boolean }> {
  const rows: Array<{ label: string; count: number; rest?: boolean }> = counts.top.map((c) => ({
    label: sanitizeForTerminal(keyLabel(kind, c.key, labels)),
    count: c.count,
  }));
  if (counts.others > 0) {
    const rest = counts.distinct - counts.top.length;
    rows.push({ label: `(${numbers.format(rest)} more)`, count: counts.others, rest: true });
  }
  return rows;
}

/** The label of a bucket: `Mon 11-30 08:00`, `Mon 2026-11-30`, `week of 2026-11-30`. */
export function bucketLabel(localStart: number, unit: Histogram['unit']): string {
  const d = new Date(localStart);
  const date = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  const weekday = WEEKDAYS[d.getUTCDay()]!;
  if (unit === 'hour') return `${weekday} ${date.slice(5)} ${pad2(d.getUTCHours())}:00`;
  if (unit === 'day') return `${weekday} ${date}`;
  return `week of ${date}`;
}

function rangeLine(view: StatsView): string {
  const { stats, clock } = view;
  const from = view.fromMs ?? stats.firstMs;
  const to = view.toMs ?? stats.lastMs;
  const count = `${numbers.format(stats.total)} event${stats.total === 1 ? '' : 's'}`;
  if (from === undefined || to === undefined) return count;
  const when = (ms: number) => clock.time(ms, true).slice(0, 16);
  return `${count} · ${when(from)} → ${when(to)} · ${clock.zoneLabel(to)}`;
}

/** The whole `--stats` view for a terminal (or a pipe that asked for the table format). */
export function statsText(view: StatsView, style: TextStyle): string {
  const paint = palette(style.color);
  const { stats } = view;
  const lines: string[] = [rangeLine(view), ''];
  const section = (title: string, kind: BreakdownKind, breakdown: Breakdown) => {
    lines.push(paint.heading(title));
    lines.push(...countRows(breakdownRows(kind, breakdown.top(view.top), view.labels), style, paint.bar));
    lines.push('');
  };
  section('Events', 'name', stats.byName);
  section('Projects', 'project', stats.byProject);
  section('People', 'person', stats.byPerson);
  section('Entities', 'entity', stats.byEntity);
  const histogram = stats.histogram({ fromMs: view.fromMs, toMs: view.toMs });
  lines.push(paint.heading(`Activity per ${histogram.unit} (${view.clock.zoneLabel(view.toMs ?? stats.lastMs ?? 0)})`));
  if (histogram.buckets.length === 0) lines.push('  (none)');
  else {
    const rows = histogram.buckets.map((b) => ({ label: bucketLabel(b.localStart, histogram.unit), count: b.count }));
    lines.push(...countRows(rows, style, paint.activity));
  }
  return `${lines.join('\n')}\n`;
}

interface JsonCount {
  key: string | null;
  name?: string;
  kind?: string;
  count: number;
}

function jsonCounts(
  kind: BreakdownKind,
  counts: TopCounts,
  labels: StatsLabels,
): { top: JsonCount[]; distinct: number; others: number } {
  return {
    top: counts.top.map((c) => jsonCount(kind, c, labels)),
    distinct: counts.distinct,
    others: counts.others,
  };
}

function jsonCount(kind: BreakdownKind, c: Count, labels: StatsLabels): JsonCount {
  if (c.key === null || kind === 'name' || kind === 'field') return { key: c.key, count: c.count };
  if (kind === 'entity') {
    const { kind: entityKind, id } = splitEntityKey(c.key);
    const name = labels.entity?.(c.key);
    return { key: id, kind: entityKind, ...(name !== undefined ? { name } : {}), count: c.count };
  }
  const name = kind === 'project' ? labels.project?.(c.key) : labels.person?.(c.key);
  return { key: c.key, ...(name !== undefined ? { name } : {}), count: c.count };
}

/** Whole seconds, as every time of a record is written. */
const iso = (ms: number | undefined): string | null =>
  ms === undefined ? null : new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');

/** The `--stats --json` object. Times are UTC ISO 8601; buckets start at local boundaries. */
export function statsJson(view: StatsView): Record<string, unknown> {
  const { stats, labels } = view;
  const histogram = stats.histogram({ fromMs: view.fromMs, toMs: view.toMs });
  return {
    events: stats.total,
    from: iso(view.fromMs),
    until: iso(view.toMs),
    first: iso(stats.firstMs),
    last: iso(stats.lastMs),
    by_name: jsonCounts('name', stats.byName.top(view.top), labels),
    by_project: jsonCounts('project', stats.byProject.top(view.top), labels),
    by_person: jsonCounts('person', stats.byPerson.top(view.top), labels),
    by_entity: jsonCounts('entity', stats.byEntity.top(view.top), labels),
    activity: {
      unit: histogram.unit,
      zone: view.clock.zoneLabel(view.toMs ?? stats.lastMs ?? 0),
      buckets: histogram.buckets.map((b) => ({ start: iso(b.startMs), count: b.count })),
    },
  };
}

/** `--stats --format csv`: one row per count, `section,key,name,count`. */
export function statsCsv(view: StatsView, headers: boolean, clean?: (text: string) => string): string {
  const { stats, labels } = view;
  const out: string[] = headers ? [csvLine(['section', 'key', 'name', 'count'])] : [];
  const section = (title: string, kind: BreakdownKind, breakdown: Breakdown) => {
    for (const c of breakdown.top(view.top).top) {
      const j = jsonCount(kind, c, labels);
      out.push(
        csvLine(
          [title, j.key, j.name ?? (kind === 'entity' && c.key ? splitEntityKey(c.key).kind : null), String(c.count)],
          clean,
        ),
      );
    }
  };
  section('name', 'name', stats.byName);
  section('project', 'project', stats.byProject);
  section('person', 'person', stats.byPerson);
  section('entity', 'entity', stats.byEntity);
  const histogram = stats.histogram({ fromMs: view.fromMs, toMs: view.toMs });
  for (const b of histogram.buckets)
    out.push(
      csvLine([histogram.unit, iso(b.startMs), bucketLabel(b.localStart, histogram.unit), String(b.count)], clean),
    );
  return out.join('');
}

/** What `--count-by` shows. */
export interface CountByView {
  /** The key as the user gave it (`name`, `data.task_status_id`). */
  by: string;
  kind: BreakdownKind;
  total: number;
  counts: TopCounts;
  labels: StatsLabels;
}

/** Like `sort | uniq -c | sort -rn`: the count, then the key, largest first. */
export function countByText(view: CountByView, style: TextStyle, headers: boolean): string {
  const paint = palette(style.color);
  const rows = breakdownRows(view.kind, view.counts, view.labels);
  const lines = headers
    ? [paint.heading(`${numbers.format(view.total)} events by ${sanitizeForTerminal(view.by)}`)]
    : [];
  lines.push(...countRows(rows, style, paint.bar, 60));
  return `${lines.join('\n')}\n`;
}

export function countByJson(view: CountByView): Record<string, unknown> {
  return { by: view.by, events: view.total, ...jsonCounts(view.kind, view.counts, view.labels) };
}

export function countByCsv(view: CountByView, headers: boolean, clean?: (text: string) => string): string {
  const out: string[] = headers ? [csvLine([view.by, 'name', 'count'])] : [];
  for (const c of view.counts.top) {
    const j = jsonCount(view.kind, c, view.labels);
    out.push(csvLine([j.key, j.name ?? null, String(c.count)], clean));
  }
  return out.join('');
}
