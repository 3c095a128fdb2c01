/**
 * Runs an async handler over items in the order they were pushed, one call at a time, while
 * new items keep arriving from a socket that cannot be paused. Bounded: past `limit` waiting
 * items, new ones are dropped and reported, rather than memory growing without end.
 *
 * With `maxBatch` above 1 the handler gets every item waiting at that moment (up to the
 * batch size) in one call: a burst then costs one write instead of one per item, while a
 * lone item still goes out at once.
 */
export interface SerialQueueOptions<T> {
  /** Most items waiting (not counting those in hand). */
  limit: number;
  /** Most items per call of the handler. Default 1. */
  maxBatch?: number;
  /** Called for each item dropped because the queue was full. */
  onOverflow?(item: T): void;
  /** Called when the handler throws; the queue goes on with the next items. */
  onError?(error: unknown, items: readonly T[]): void;
}

export class SerialQueue<T> {
  private items: T[] = [];
  /** Items before this index were handed out already. */
  private head = 0;
  private running = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private progressWaiters: (() => void)[] = [];

  constructor(
    private readonly handle: (items: T[]) => Promise<void>,
    private readonly options: SerialQueueOptions<T>,
  ) {}

  /** Adds an item; false when it was dropped (queue full or stopped). */
  push(item: T): boolean {
    if (this.stopped) return false;
    if (this.waiting >= this.options.limit) {
      this.options.onOverflow?.(item);
      return false;
    }
    this.items.push(item);
    if (!this.running) void this.run();
    return true;
  }

  /** Items not yet handed to the handler. */
  get waiting(): number {
    return this.items.length - this.head;
  }

  /** Resolves once every pushed item has been handled (or the queue was stopped). */
  idle(): Promise<void> {
    if (!this.running && this.waiting === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Resolves once no more than `count` items wait (or the queue was stopped): a producer that
   * can pause, unlike a socket, keeps pace with the handler this way instead of filling the queue.
   */
  async waitUntilAtMost(count: number): Promise<void> {
    while (!this.stopped && this.waiting > count) {
      await new Promise<void>((resolve) => this.progressWaiters.push(resolve));
    }
  }

  /** Drops what waits; the items in hand finish. */
  stop(): void {
    this.stopped = true;
    this.items = [];
    this.head = 0;
    this.wakeProgress();
    if (!this.running) this.wakeIdle();
  }

  private async run(): Promise<void> {
    this.running = true;
    const maxBatch = this.options.maxBatch ?? 1;
    while (!this.stopped && this.waiting > 0) {
      const end = Math.min(this.items.length, this.head + maxBatch);
      const batch = this.items.slice(this.head, end);
      this.head = end;
      if (this.head === this.items.length) {
        this.items = [];
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      try {
        await this.handle(batch);
      } catch (error) {
        this.options.onError?.(error, batch);
      }
      this.wakeProgress();
    }
    this.running = false;
    this.wakeIdle();
  }

  private wakeProgress(): void {
    const waiters = this.progressWaiters;
    this.progressWaiters = [];
    for (const wake of waiters) wake();
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
