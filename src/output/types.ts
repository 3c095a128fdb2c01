/**
 * The contract between commands and the renderers. A command hands records to a
 * RecordWriter and never formats text itself.
 */
import type { EventNames } from '../core/event-subject.js';
import type { EventRecord, LoginRecord } from '../core/record.js';

/** A record with the names of what it is about (`--names`, and the table view). */
export type NamedEventRecord = EventRecord & { names?: EventNames };

/**
 * Finds the names of what records are about (src/kitsu/names.ts behind it). `names` never
 * waits long for the server: unknown names come back as short ids.
 */
export interface RecordNamer {
  names(record: EventRecord): Promise<EventNames>;
  /** The names at once when no look-up is needed; undefined otherwise (then ask `names`). */
  namesNow?(record: EventRecord): EventNames | undefined;
  /** `JSON.stringify(namesNow(record))`, made more cheaply where the namer can. */
  namesJsonNow?(record: EventRecord): string | undefined;
  /** Starts the look-ups of records that are all at hand, and waits a little for them. */
  prefetch?(records: readonly EventRecord[]): Promise<void>;
}

/** Ids to names, for the table view. Lookups are synchronous: unknown ids stay ids. */
export interface NameDirectory {
  project(id: string): string | undefined;
  person(id: string): string | undefined;
  /** A task status by its short name, as Kitsu shows it (wip, done). Optional. */
  taskStatus?(id: string): string | undefined;
}

export interface RecordWriter<R = EventRecord> {
  /**
   * Writes one record at once (no buffering in a pipe). Resolves when the stream can take
   * more (backpressure); rejects with OutputClosedError when the reader went away.
   */
  write(record: R): Promise<void>;
  /**
   * Writes records that are all at hand (a window of the log) as one chunk: the same bytes
   * as write() for each, in one system call instead of one per record. Optional.
   */
  writeMany?(records: readonly R[]): Promise<void>;
  /** Finishes the output (the closing `]` of json) and waits until it is flushed. */
  end(): Promise<void>;
}

export type LoginWriter = RecordWriter<LoginRecord>;
