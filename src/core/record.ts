/**
 * The one event record (src/README.md, The record and the exit codes). Every event that leaves the program, live or from the
 * log, has exactly this shape and key order.
 */
export type EventSource = 'live' | 'backfill' | 'log';

export interface EventRecord {
  /** The log row id; null for a live event, which carries none. */
  id: string | null;
  name: string;
  /**
   * ISO 8601 UTC with `Z`. From the log: whole seconds (the server truncates). Live: the
   * time of receipt, with milliseconds.
   */
  created_at: string;
  user_id: string | null;
  /** From the row (1.0.63+) or else from `data.project_id`. */
  project_id: string | null;
  data: Record<string, unknown>;
  source: EventSource;
}

/** A row of `data/events/login-logs/last`, as `logs --logins` prints it. */
export interface LoginRecord {
  id: string;
  created_at: string;
  person_id: string | null;
  ip_address: string | null;
  origin: string | null;
}
