/**
 * The one-line summary that ends a run of `listen`, `logs --follow` and `logs --output`, in the
 * same words for each: `5 events, 0 reconnects, 0 backfilled`, or `appended 120 events to
 * out.ndjson`. After Ctrl-C it is printed as `stopped: …` on a line of its own (Reporter.afterInterrupt).
 */

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export interface RunCounts {
  /** Records written, history and live. */
  events: number;
  /** Present when the run followed the live stream. */
  live?: { reconnects: number; backfilled: number };
  /** The --output file the records were appended to, if any. */
  output?: string;
}

/** `12 events, 1 reconnect, 3 backfilled`, `appended 12 events to out.ndjson`, and any failures after. */
export function summaryLine(counts: RunCounts, failures: readonly string[] = []): string {
  const events =
    counts.output !== undefined
      ? `appended ${plural(counts.events, 'event')} to ${counts.output}`
      : plural(counts.events, 'event');
  return [
    events,
    ...(counts.live ? [plural(counts.live.reconnects, 'reconnect'), `${counts.live.backfilled} backfilled`] : []),
    ...failures,
  ].join(', ');
}
