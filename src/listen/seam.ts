/**
 * The seam between printed history and live events (`listen --since`, `logs --follow`): live
 * events wait in a buffer while the history is read, so that none falls between the two; the
 * history is read once the stream is up, or after a while without it (the stream may be down,
 * and the log alone covers the start then). When the history is printed, the buffer is let go
 * in order, but for the events that a history row turned out to be (printed as that row).
 * Time comes from outside, so this is tested on a fake clock (test/listen/seam.test.ts).
 */
export interface HeldEvent<R> {
  record: R;
  /** True once a history row was printed in this event's place. */
  replaced(): boolean;
  /** Called when the event is let go to the output. */
  released(): void;
}

export class Seam<R> {
  private buffer: HeldEvent<R>[] | null = [];
  private connect!: () => void;
  private readonly connected = new Promise<void>((resolve) => (this.connect = resolve));

  /**
   * @param waitMs how long to wait for the first connection before reading the history anyway
   * @param sleep waits `ms` (a fake clock in tests; the run's stop signal ends it early)
   */
  constructor(
    private readonly waitMs: number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  /** While true, live events are held (call `hold`) instead of printed. */
  get holding(): boolean {
    return this.buffer !== null;
  }

  hold(event: HeldEvent<R>): void {
    this.buffer?.push(event);
  }

  /** The stream is up (the first time matters). */
  streamUp(): void {
    this.connect();
  }

  /** Resolves when the history should be read: the stream is up, or it was waited for long enough. */
  async readyToRead(): Promise<void> {
    await Promise.race([this.connected, this.sleep(this.waitMs)]);
  }

  /** The history is printed: the held events still to print, in order of receipt; the seam ends. */
  release(): R[] {
    const held = this.buffer ?? [];
    this.buffer = null;
    const out: R[] = [];
    for (const event of held) {
      if (event.replaced()) continue;
      event.released();
      out.push(event.record);
    }
    return out;
  }
}
