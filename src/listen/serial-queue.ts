/**
 * Runs an async handler over items one at a time, in the order they were pushed, while new
 * items keep arriving from a socket that cannot be paused. Bounded: past `limit` waiting
 * items, new ones are dropped and reported, rather than memory growing without end.
 */
export interface SerialQueueOptions<T> {
  /** Most items waiting (not counting the one being handled). */
  limit: number;
  /** Called for each item dropped because the queue was full. */
  onOverflow?(item: T): void;
  /** Called when the handler throws; the queue goes on with the next item. */
  onError?(error: unknown, item: T): void;
}

export class SerialQueue<T> {
  private readonly items: T[] = [];
  private head = 0;
  private running = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly handle: (item: T) => Promise<void>,
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

  /** Items not yet handled, the one in hand excluded. */
  get waiting(): number {
    return this.items.length - this.head;
  }

  /** Resolves once every pushed item has been handled (or the queue was stopped). */
  idle(): Promise<void> {
    if (!this.running && this.waiting === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops what waits; the item in hand finishes. */
  stop(): void {
    this.stopped = true;
    this.items.length = 0;
    this.head = 0;
    if (!this.running) this.wakeIdle();
  }

  private async run(): Promise<void> {
    this.running = true;
    while (!this.stopped && this.waiting > 0) {
      const item = this.items[this.head]!;
      this.head += 1;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items.splice(0, this.head);
        this.head = 0;
      }
      try {
        await this.handle(item);
      } catch (error) {
        this.options.onError?.(error, item);
      }
    }
    this.running = false;
    this.wakeIdle();
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
