/**
 * Reads the stored event log (`GET data/events/last`, kitsu-protocol.md §3) oldest first,
 * whatever the server version, with nothing skipped or repeated and memory bounded.
 */
import type { EventFilter } from '../core/patterns.js';
import type { EventRecord } from '../core/record.js';
import type { Session } from './types.js';

/** What `only_files=true` keeps on the server; the client keeps the same on old servers. */
export const ONLY_FILES_EVENTS: readonly string[] = [
  'preview-file:add-file',
  'organisation:set-thumbnail',
  'person:set-thumbnail',
  'project:set-thumbnail',
];

export interface LogQuery {
  /** Inclusive, from the start of that second. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
  filter?: EventFilter;
  onlyFiles?: boolean;
  projectIds?: string[];
  personIds?: string[];
}

export interface ReadLogOptions {
  signal?: AbortSignal;
  /** Called after each page with the number of rows it held (before client-side filtering). */
  onPage?: (rows: number) => void;
}

/** The log oldest first, source 'log', using the best paging the server offers. */
export function readLog(session: Session, query: LogQuery, options: ReadLogOptions = {}): AsyncIterable<EventRecord> {
  void session;
  void query;
  void options;
  throw new Error('readLog: not built yet');
}
