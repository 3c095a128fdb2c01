/**
 * The keys of one bus. Pure.
 *
 * Beside the stream live its bookkeeping keys, which the write script touches in the same
 * atomic step as the entries: on a Redis Cluster a script may only touch keys of one hash
 * slot, so they all share the stream's hash tag (the part between the first `{` and the next
 * `}`). A stream named without one, `events`, gets `{events}:…` keys: the tag `events` hashes
 * like the whole name `events`, so they land in its slot all the same.
 */

export const DEFAULT_STREAM = '{kitsu}:events';

export interface BusKeys {
  stream: string;
  /**
   * Hash: `fence` (the last lease's fencing number), `position`, `start`, `query`, `entries`,
   * `seq` (the next write call's sequence number: see WRITE_SCRIPT).
   */
  state: string;
  /** String `OWNER/FENCE` with an expiry: the leader's lease. */
  lease: string;
  /** Sorted set: the log ids written in the last seconds read (score: their second). */
  recent: string;
}

/** The hash tag Redis Cluster would use for `key`, or null when it has none. */
export function hashTag(key: string): string | null {
  const open = key.indexOf('{');
  if (open === -1) return null;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return null;
  return key.slice(open + 1, close);
}

export function busKeys(stream: string): BusKeys {
  const prefix = hashTag(stream) === null ? `{${stream}}` : stream;
  return { stream, state: `${prefix}:bridge`, lease: `${prefix}:lease`, recent: `${prefix}:recent` };
}
