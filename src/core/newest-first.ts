/**
 * Newest first: with `reverse`, straight through `print` (streaming); else the newest
 * `limit`, returned oldest first (memory bounded by the limit). `records` come newest first.
 */
export async function newestFirst<R>(
  records: AsyncIterable<R>,
  limit: number | null,
  reverse: boolean,
  print: (record: R) => Promise<void>,
): Promise<R[]> {
  const kept: R[] = [];
  let count = 0;
  for await (const record of records) {
    if (reverse) await print(record);
    else kept.push(record);
    count += 1;
    if (limit !== null && count >= limit) break;
  }
  return kept.reverse();
}
