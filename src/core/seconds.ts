/**
 * The server keeps log times to the whole second (see src/kitsu/README.md), so paging, seams
 * and checkpoints all count in seconds since the epoch. These are the one set of helpers that
 * turn times and rows into those seconds and back.
 */

/** A time as the whole second it falls in (seconds since the epoch). */
export const toSecond = (date: Date | undefined): number | undefined =>
  date === undefined ? undefined : Math.floor(date.getTime() / 1000);

/** The start of a second, as a Date. */
export const fromSecond = (second: number | undefined): Date | undefined =>
  second === undefined ? undefined : new Date(second * 1000);

/** The second a row or record was created in (`created_at` is ISO 8601 UTC). */
export function secondOf(row: { created_at: string }): number {
  return Math.floor(Date.parse(row.created_at) / 1000);
}
