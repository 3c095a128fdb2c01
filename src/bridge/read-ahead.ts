/**
 * Reads an async generator ahead of its consumer, up to `depth` items, so that its own chain
 * of awaits (the log reader's pages, each asking from where the last one ended) goes on while
 * the consumer is busy (the bridge encoding and writing a window): a generator otherwise
 * stops at each `yield` until it is asked for the next item.
 *
 * Yields what the source yields, in order; a failure of the source comes out after the items
 * read before it. When the consumer stops early, no further item is asked for, and the source
 * is returned once the read in progress has settled.
 */
export async function* readAhead<T>(source: AsyncGenerator<T>, depth: number): AsyncGenerator<T> {
  const ready: T[] = [];
  let reading: Promise<void> | null = null;
  let failure = null as { error: unknown } | null;
  let ended = false as boolean;
  let stopped = false;
  let wake: (() => void) | null = null;
  const fill = (): void => {
    if (reading || ended || stopped || failure || ready.length >= depth) return;
    reading = source.next().then(
      (result) => {
        reading = null;
        if (result.done) ended = true;
        else ready.push(result.value);
        wake?.();
        fill();
      },
      (error: unknown) => {
        reading = null;
        failure = { error };
        wake?.();
      },
    );
  };
  try {
    for (;;) {
      fill();
      if (ready.length > 0) {
        const item = ready.shift()!;
        fill();
        yield item;
        continue;
      }
      if (failure) throw failure.error;
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
    }
  } finally {
    stopped = true;
    await reading;
    await source.return(undefined);
  }
}
