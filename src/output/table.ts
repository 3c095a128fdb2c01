/**
 * The view for a person: one line per event, written as it comes (never a buffered table),
 * cut to the terminal's width.
 *
 *   ── Sat 2026-11-28 ──
 *   17:59:58   task:status-changed         Big Buck Bunny    Alice Martin    task=1a2b3c4d new_task_status=9f8e7d6c
 *   ── Sun 2026-11-29 ──
 *   08:00:01   comment:new                 Big Buck Bunny    Bob Stone       comment=225f6eb1 task=1a2b3c4d
 *   ── live ──
 *   08:00:03   preview-file:add-file       Big Buck Bunny                    preview_file=3e7c1a2b revision=3
 *   08:00:04 ↺ task:update                 Big Buck Bunny    Alice Martin    task=1a2b3c4d
 *
 * With the names of what each event is about (src/kitsu/names.ts: the table always has them
 * when it can), a line reads as a sentence, the subject and the change first:
 *
 *   08:00:01   E01 / SQ010 / SH010 · Animation  wip → wfa  by Jane Doe  Moonlit Harbor  revision=3
 *   08:00:04   Character / Fox · Modeling  comment:new  by Hiro Sato  Moonlit Harbor
 *
 * and a narrow terminal gives up the low-value parts first, each by whole words: the details,
 * the project, the episode, the person's last name, the time, the person, the sequence;
 * only then is the line cut with `…`. Records without names keep the id layout above.
 *
 * Local time, the zone said once in the first line (`── times in UTC+01:00 Europe/Paris ──`,
 * or with the first date: `── Sat 2026-11-28 · times in UTC ──`, with --utc); the date
 * appears as a separator line when the events are not from today and whenever the day
 * changes (so a range over several days shows each day's date in full), and `── live ──` marks where stored history gives way to the
 * live stream. Backfilled events (caught up from the log after a reconnect) are dimmed and
 * marked ↺. Names replace ids where the NameDirectory knows them, else the first 8
 * characters of the id. Every text from the server is sanitised before it reaches the terminal.
 */
import { Chalk } from 'chalk';
import type { EventRecord, EventSource, LoginRecord } from '../core/record.js';
import { systemTimeZone, toLocalFields, type TimeZone } from '../core/time.js';
import type { Renderer } from './formats.js';
import { sanitizeForTerminal } from './sanitize.js';
import type { EventNames } from '../core/event-subject.js';
import type { NameDirectory, NamedEventRecord } from './types.js';
import { charWidth, displayWidth, truncateToWidth } from './width.js';

export interface TableOptions {
  color: boolean;
  /** The terminal's width, asked for every line (windows get resized); undefined: no cut. */
  columns?: () => number | undefined;
  names?: NameDirectory;
  /** Local time for the time column; default: the runtime's zone. */
  zone?: TimeZone;
  /**
   * The zone's name as a person reads it (`UTC+01:00 Europe/Paris`, `UTC`): said once, in the
   * table's first line, with the first date when it has one. None: not said.
   */
  zoneLabel?: (atMs: number) => string;
  /** The clock, to know what "today" is. */
  now: () => number;
}

type Style = (text: string) => string;
interface Part {
  text: string;
  style?: Style;
}
/** A cell of a line; `width` pads or cuts it to exactly that many terminal cells. */
interface Cell {
  parts: Part[];
  width?: number;
  /** What separates it from the cell before (default: two spaces). */
  gap?: string;
}

/**
 * The width to cut lines to. A terminal that reports 0 columns (a pty whose size was never
 * set, as under `script`) or none has an unknown width: lines are left whole rather than cut
 * to nothing.
 */
function lineWidth(options: TableOptions): number | undefined {
  const columns = options.columns?.();
  return columns !== undefined && columns > 0 ? columns : undefined;
}

/** Column widths: roomy on a wide terminal, tighter below 110 columns so data still shows. */
function columnWidths(columns: number | undefined): { name: number; project: number; person: number } {
  return columns === undefined || columns >= 110
    ? { name: 26, project: 16, person: 14 }
    : { name: 22, project: 12, person: 10 };
}
const VALUE_WIDTH = 40;
const GAP = '  ';
const BACKFILL_MARK = '↺';

export type VerbColor = 'green' | 'yellow' | 'red';

const VERB_COLORS: ReadonlyArray<[RegExp, VerbColor]> = [
  // Removal first: `delete-reply` is a deletion though it mentions a reply.
  [/(^|-)(delete|deleted|remove|removed)(-|$)/, 'red'],
  [/(^|-)(new|add|added|create|created)(-|$)/, 'green'],
  [/(^|-)(update|updated|change|changed|set)(-|$)/, 'yellow'],
];

/** The colour of an event's action (the part after `:`): creation, change or removal. */
export function verbColor(action: string): VerbColor | undefined {
  return VERB_COLORS.find(([pattern]) => pattern.test(action))?.[1];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The first eight characters of a UUID: enough to tell ids apart on a screen. */
export function shortId(id: string): string {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(id) ? id.slice(0, 8) : id;
}

const PERSON_KEY = /(^|_)(person|author|assigner|user|sender|recipient)_id$/;
const TASK_STATUS_KEY = /(^|_)task_status_id$/;

/**
 * The cells as one line, cut as a whole to `max` cells (with `…`), each part in its style
 * and then in `rowStyle` (styles wrap each part: nesting them around a whole line would let
 * the first inner reset end the outer style).
 */
function renderLine(cells: Cell[], max: number | undefined, rowStyle?: Style): string {
  const parts: Part[] = [];
  cells.forEach((cell, i) => {
    if (i > 0) parts.push({ text: cell.gap ?? GAP });
    if (cell.width === undefined) {
      parts.push(...cell.parts);
      return;
    }
    const fitted = cutParts(cell.parts, cell.width);
    parts.push(...fitted, { text: ' '.repeat(cell.width - partsWidth(fitted)) });
  });
  // No trailing blanks: they would wrap a line that is exactly as wide as the window.
  while (parts.length > 0 && parts[parts.length - 1]!.text.trimEnd() === '') parts.pop();
  const last = parts[parts.length - 1];
  if (last) parts[parts.length - 1] = { ...last, text: last.text.trimEnd() };
  const cut = max === undefined ? parts : cutParts(parts, max);
  return cut
    .map((p) => {
      const styled = p.style ? p.style(p.text) : p.text;
      return rowStyle && p.text.trim() !== '' ? rowStyle(styled) : styled;
    })
    .join('');
}

function partsWidth(parts: Part[]): number {
  return parts.reduce((sum, p) => sum + displayWidth(p.text), 0);
}

function cutParts(parts: Part[], width: number): Part[] {
  if (partsWidth(parts) <= width) return parts;
  const out: Part[] = [];
  let used = 0;
  for (const part of parts) {
    let text = '';
    for (const char of part.text) {
      const w = charWidth(char);
      if (used + w > width - 1) break;
      text += char;
      used += w;
    }
    if (text) out.push({ ...part, text });
    if (text.length < part.text.length) break;
  }
  // Cut in the gap after a cell that was cut already: its ellipsis says it ("…  …" would not).
  while (out.length > 0 && out[out.length - 1]!.text.trimEnd() === '') out.pop();
  const last = out[out.length - 1];
  if (last?.text.endsWith(' ')) out[out.length - 1] = { ...last, text: last.text.trimEnd() };
  if (width > 0 && !out[out.length - 1]?.text.endsWith('…')) out.push({ text: '…', style: out[out.length - 1]?.style });
  return out;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * The time column and the separator lines: the date when the day is not today or changes,
 * `── live ──` where stored events give way to live ones.
 */
class Timeline {
  private lastDay: string | undefined;
  private lastSource: EventSource | undefined;

  constructor(
    private readonly options: TableOptions,
    private readonly dim: Style,
  ) {}

  /** Separator lines to print before a record, then its `HH:MM:SS`. */
  place(createdAt: string, source?: EventSource): { before: string; time: string } {
    const zone = this.options.zone ?? systemTimeZone;
    const ms = Date.parse(createdAt);
    const f = toLocalFields(Number.isNaN(ms) ? 0 : ms, zone);
    const day = `${f.year}-${pad2(f.month)}-${pad2(f.day)}`;
    let before = '';
    if (source === 'live' && this.lastSource !== undefined && this.lastSource !== 'live') {
      before += this.separator('live');
    }
    const today = toLocalFields(this.options.now(), zone);
    const isToday = day === `${today.year}-${pad2(today.month)}-${pad2(today.day)}`;
    const first = this.lastDay === undefined;
    const zoneText =
      first && this.options.zoneLabel
        ? `times in ${this.options.zoneLabel(Number.isNaN(ms) ? this.options.now() : ms)}`
        : undefined;
    if (first ? !isToday : day !== this.lastDay) {
      const weekday = WEEKDAYS[new Date(Date.UTC(f.year, f.month - 1, f.day)).getUTCDay()];
      before += this.separator(zoneText ? `${weekday} ${day} · ${zoneText}` : `${weekday} ${day}`);
    } else if (zoneText) before += this.separator(zoneText);
    this.lastDay = day;
    if (source !== 'backfill') this.lastSource = source;
    return { before, time: `${pad2(f.hour)}:${pad2(f.minute)}:${pad2(f.second)}` };
  }

  private separator(label: string): string {
    return `${this.dim(`── ${label} ──`)}\n`;
  }
}

function palette(color: boolean) {
  const chalk = new Chalk({ level: color ? 1 : 0 });
  return {
    dim: (t: string) => chalk.dim(t),
    project: (t: string) => chalk.cyan(t),
    person: (t: string) => chalk.magenta(t),
    subject: (t: string) => chalk.bold(t),
    green: (t: string) => chalk.green(t),
    yellow: (t: string) => chalk.yellow(t),
    red: (t: string) => chalk.red(t),
  };
}

/** A part of a named line with its forms, longest first; an empty form drops it. */
interface Piece {
  forms: Part[][];
  level: number;
}

/** Which piece gives up a form next, in order, when the line is too wide for the terminal. */
const SHRINK_ORDER = [
  'details',
  'project',
  'subject',
  'person',
  'person',
  'time',
  'person',
  'subject',
  'subject',
  'subject',
] as const;
type PieceName = (typeof SHRINK_ORDER)[number] | 'change';

/** `E01 / SQ010 / SH010 · Animation`, then without the outer parents: `SQ010 / SH010 · Animation`, `SH010 · Animation`. */
function subjectForms(names: EventNames): string[] {
  const type = names.task_type ? ` · ${names.task_type}` : '';
  if (names.entity) {
    const parts = names.entity.split(' / ');
    return parts.map((_, i) => `${parts.slice(i).join(' / ')}${type}`);
  }
  const alone = names.task_type ?? (names.asset_type && !names.project ? names.asset_type : undefined);
  return alone ? [alone] : [];
}

/** `Jane Doe`, `Jane D.`, `Jane`: shorter forms of a person's name, whole words only. */
function personForms(name: string): string[] {
  const words = name.split(/\s+/).filter(Boolean);
  if (words.length < 2) return [name];
  return [name, `${words.slice(0, -1).join(' ')} ${[...words.at(-1)!][0]}.`, words[0]!];
}

// Keys the names already say, left out of the details of a named line.
const NAMED_KEYS =
  /^(project_id|task_id|person_id|user_id|entity_id|task_type_id|task_status_id|new_task_status_id|previous_task_status_id|comment_id|preview_file_id|asset_type|asset_type_id|(asset|shot|sequence|episode|edit|concept|scene)_id)$/;

/** The pieces as they stand, with their gaps: one space after the time, two elsewhere. */
function shownCells(pieces: Piece[], time: Piece | undefined): Cell[] {
  const shown = pieces.filter((p) => p.forms[p.level]!.length > 0);
  return shown.map((p, i) => ({ parts: p.forms[p.level]!, ...(i > 0 && shown[i - 1] === time ? { gap: ' ' } : {}) }));
}

function cellsWidth(cells: Cell[]): number {
  return cells.reduce((sum, cell, i) => sum + partsWidth(cell.parts) + (i > 0 ? (cell.gap ?? GAP).length : 0), 0);
}

export function eventTableRenderer(options: TableOptions): Renderer<NamedEventRecord> {
  const paint = palette(options.color);
  const timeline = new Timeline(options, paint.dim);
  const clean = sanitizeForTerminal;
  const projectName = (id: string) => clean(options.names?.project(id) ?? shortId(id));
  const personName = (id: string) => clean(options.names?.person(id) ?? shortId(id));

  const describeValue = (key: string, value: unknown): string | undefined => {
    if (value === null || value === undefined) return undefined;
    if (typeof value === 'string' && key.endsWith('_id')) {
      if (key === 'project_id') return projectName(value);
      if (TASK_STATUS_KEY.test(key)) return clean(options.names?.taskStatus?.(value) ?? shortId(value));
      return PERSON_KEY.test(key) ? personName(value) : clean(shortId(value));
    }
    // An id under another name (asset:new says asset_type) is no more readable in full.
    if (typeof value === 'string' && UUID.test(value)) return shortId(value);
    if (typeof value === 'string') {
      const text = clean(value);
      return /\s/.test(text) || text === '' ? JSON.stringify(text) : text;
    }
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
      return value.map((v) => clean(shortId(v))).join(',');
    }
    return clean(typeof value === 'object' ? JSON.stringify(value) : String(value));
  };

  const summary = (record: EventRecord): string =>
    Object.entries(record.data)
      .filter(([key, value]) => !(key === 'project_id' && value === record.project_id))
      .map(([key, value]) => {
        const shown = describeValue(key, value);
        if (shown === undefined) return '';
        const label = clean(key.endsWith('_id') ? key.slice(0, -3) : key);
        return `${label}=${truncateToWidth(shown, VALUE_WIDTH)}`;
      })
      .filter(Boolean)
      .join(' ');

  // Live events carry no author: a stream that starts live gets no person column (a
  // backfilled row's author then leads its summary as by=…), one that starts from the log does.
  let personColumn: boolean | undefined;

  /** The sentence layout, for a record whose names are known. */
  const namedLine = (record: NamedEventRecord, names: EventNames, time: string): string => {
    const name = clean(record.name);
    const colon = name.lastIndexOf(':');
    const action = name.slice(colon + 1);
    const verb = verbColor(action);
    const backfill = record.source === 'backfill';
    const eventName: Part[] = [
      { text: name.slice(0, colon + 1) },
      { text: action, style: verb ? paint[verb] : undefined },
    ];
    const pieces = new Map<PieceName, Piece>();
    const piece = (key: PieceName, forms: Part[][], droppable = true): void => {
      if (forms.length === 0 || forms[0]!.every((p) => p.text === '')) return;
      pieces.set(key, { forms: droppable ? [...forms, []] : forms, level: 0 });
    };
    piece('time', [[{ text: time, style: paint.dim }, { text: ` ${backfill ? BACKFILL_MARK : ' '}` }]]);
    const subject = subjectForms(names).map(clean);
    piece(
      'subject',
      subject.map((text) => [{ text, style: paint.subject }]),
      false,
    );
    const change: Part[] =
      record.name === 'task:status-changed' && names.task_status
        ? [
            { text: clean(names.previous_task_status ?? '?'), style: paint.dim },
            { text: ' → ' },
            { text: clean(names.task_status), style: paint.yellow },
          ]
        : [...eventName, ...(names.assignee ? [{ text: ` ${clean(names.assignee)}`, style: paint.person }] : [])];
    piece('change', [change], false);
    const person = names.person && names.person !== names.assignee ? personForms(clean(names.person)) : [];
    piece(
      'person',
      person.map((text) => [
        { text: 'by ', style: paint.dim },
        { text, style: paint.person },
      ]),
    );
    piece('project', names.project ? [[{ text: clean(names.project), style: paint.project }]] : []);
    const details = summary({
      ...record,
      data: Object.fromEntries(Object.entries(record.data).filter(([key]) => !NAMED_KEYS.test(key))),
    });
    piece('details', details ? [[{ text: details, style: paint.dim }]] : []);
    const ordered = (['time', 'subject', 'change', 'person', 'project', 'details'] as const).flatMap((key) =>
      pieces.has(key) ? [pieces.get(key)!] : [],
    );
    const columns = lineWidth(options);
    // The time and its backfill mark sit as in the id layout: `08:00:01 ↺ `.
    const timePiece = pieces.get('time');
    if (columns !== undefined) {
      for (const key of SHRINK_ORDER) {
        if (cellsWidth(shownCells(ordered, timePiece)) <= columns) break;
        const p = pieces.get(key);
        if (p && p.level < p.forms.length - 1) p.level += 1;
      }
    }
    return renderLine(shownCells(ordered, timePiece), columns, backfill ? paint.dim : undefined);
  };

  return {
    record(record) {
      if (record.names) {
        const { before, time } = timeline.place(record.created_at, record.source);
        return `${before}${namedLine(record, record.names, time)}\n`;
      }
      personColumn ??= record.source !== 'live';
      const { before, time } = timeline.place(record.created_at, record.source);
      const name = clean(record.name);
      const colon = name.lastIndexOf(':');
      const action = name.slice(colon + 1);
      const verb = verbColor(action);
      const backfill = record.source === 'backfill';
      const columns = lineWidth(options);
      const widths = columnWidths(columns);
      const cells: Cell[] = [
        { parts: [{ text: time, style: paint.dim }] },
        { parts: [{ text: backfill ? BACKFILL_MARK : ' ' }], gap: ' ' },
        {
          parts: [{ text: name.slice(0, colon + 1) }, { text: action, style: verb ? paint[verb] : undefined }],
          width: widths.name,
          gap: ' ',
        },
        {
          parts: [{ text: record.project_id ? projectName(record.project_id) : '', style: paint.project }],
          width: widths.project,
        },
      ];
      const author = record.user_id ? personName(record.user_id) : '';
      if (personColumn) {
        cells.push(
          { parts: [{ text: author, style: paint.person }], width: widths.person },
          { parts: [{ text: summary(record) }] },
        );
      } else {
        cells.push({
          parts: [
            ...(author ? [{ text: 'by=' }, { text: `${author} `, style: paint.person }] : []),
            { text: summary(record) },
          ],
        });
      }
      return `${before}${renderLine(cells, columns, backfill ? paint.dim : undefined)}\n`;
    },
    end: () => '',
    closeOnInterrupt: false,
  };
}

export function loginTableRenderer(options: TableOptions): Renderer<LoginRecord> {
  const paint = palette(options.color);
  const timeline = new Timeline(options, paint.dim);
  const clean = sanitizeForTerminal;
  return {
    record(record) {
      const { before, time } = timeline.place(record.created_at);
      const person = record.person_id
        ? clean(options.names?.person(record.person_id) ?? shortId(record.person_id))
        : '';
      const cells: Cell[] = [
        { parts: [{ text: time, style: paint.dim }] },
        { parts: [{ text: clean(record.origin ?? '') }], width: 6 },
        { parts: [{ text: person, style: paint.person }], width: 24 },
        { parts: [{ text: clean(record.ip_address ?? '') }] },
      ];
      return `${before}${renderLine(cells, lineWidth(options))}\n`;
    },
    end: () => '',
    closeOnInterrupt: false,
  };
}
