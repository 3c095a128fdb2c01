/**
 * When the follow engine reads the log, one read at a time: the catch-up read after a gap
 * (announced after a reconnect, quiet while polling), and the counting reads that decide a gap
 * once its seconds are settled (src/core/reconcile.ts). Requests made while a read runs are
 * joined: the next read starts from the earliest second asked for. Time and timers come from
 * outside, so the schedule is tested on a fake clock (test/listen/catch-up.test.ts).
 */
import type { Clock } from '../context.js';

export type ReadKind = 'backfill' | 'count';

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface CatchUpDeps {
  clock: Clock;
  timers: Timers;
  /** Reads the log from `sinceMs`; returns how many records it queued. */
  read(sinceMs: number, kind: ReadKind): Promise<number>;
  /** Whether reads may run at all (false once the run ends, or the log is forbidden). */
  active(): boolean;
  /** A read finished. `announced`: it was asked for by a reconnect. */
  onRead(result: { kind: ReadKind; sinceMs: number; queued: number; announced: boolean }): void;
  /** A read failed. Return the wait before trying again, or null to give up on it. */
  onError(error: unknown, kind: ReadKind): number | null;
  /** Waits `ms`, or less if the run ends. */
  sleep(ms: number): Promise<void>;
}

export class CatchUpScheduler {
  private pendingBackfillMs: number | null = null;
  private pendingCountMs: number | null = null;
  /** The pending backfill was asked for by a reconnect, and is to be announced. */
  private pendingAnnounced = false;
  private running: Promise<void> | null = null;
  private timer: { handle: unknown; fromMs: number } | null = null;

  constructor(private readonly deps: CatchUpDeps) {}

  /** Asks for a catch-up read from `sinceMs`; a quiet one (polling) is not announced. */
  backfillFrom(sinceMs: number, quiet = false): void {
    this.pendingBackfillMs = this.pendingBackfillMs === null ? sinceMs : Math.min(this.pendingBackfillMs, sinceMs);
    this.pendingAnnounced ||= !quiet;
    this.start();
  }

  /** Asks for a counting read from `sinceMs` now. */
  countFrom(sinceMs: number): void {
    this.pendingCountMs = this.pendingCountMs === null ? sinceMs : Math.min(this.pendingCountMs, sinceMs);
    this.start();
  }

  /** Asks for a counting read from `fromMs` in `delayMs`; replaces the one planned before. */
  countLater(fromMs: number, delayMs: number): void {
    this.cancelTimer();
    if (!this.deps.active()) return;
    const handle = this.deps.timers.setTimeout(
      () => {
        this.timer = null;
        this.countFrom(fromMs);
      },
      Math.max(0, delayMs),
    );
    this.timer = { handle, fromMs };
  }

  /** The earliest second a read asked for may start from (for pruning); +∞ when none. */
  get earliestPendingMs(): number {
    return Math.min(
      this.pendingBackfillMs ?? Infinity,
      this.pendingCountMs ?? Infinity,
      this.timer?.fromMs ?? Infinity,
    );
  }

  /** Whether the announced read of a reconnect is still to come. */
  get announcing(): boolean {
    return this.pendingAnnounced;
  }

  /** Resolves when no read runs. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** No more reads: clears the planned one. */
  stop(): void {
    this.cancelTimer();
    this.pendingBackfillMs = null;
    this.pendingCountMs = null;
  }

  private cancelTimer(): void {
    if (this.timer) this.deps.timers.clearTimeout(this.timer.handle);
    this.timer = null;
  }

  private start(): void {
    if (this.running) return;
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  private async loop(): Promise<void> {
    while (this.deps.active()) {
      let kind: ReadKind;
      let sinceMs: number;
      let announced = false;
      if (this.pendingBackfillMs !== null) {
        kind = 'backfill';
        sinceMs = this.pendingBackfillMs;
        announced = this.pendingAnnounced;
        this.pendingBackfillMs = null;
        this.pendingAnnounced = false;
      } else if (this.pendingCountMs !== null) {
        kind = 'count';
        sinceMs = this.pendingCountMs;
        this.pendingCountMs = null;
      } else {
        return;
      }
      try {
        const queued = await this.deps.read(sinceMs, kind);
        this.deps.onRead({ kind, sinceMs, queued, announced });
      } catch (error) {
        const retryMs = this.deps.onError(error, kind);
        if (retryMs === null) return;
        if (kind === 'backfill') this.backfillFrom(sinceMs, !announced);
        else this.countFrom(sinceMs);
        await this.deps.sleep(retryMs);
      }
    }
  }
}
