/**
 * What --exec and --forward-to share: a bounded queue that hands one record at a time to a
 * slow consumer, in order, and says when it had to drop records because the consumer fell
 * behind (once when it starts, then the size and start of each gap).
 */
import type { EventRecord } from '../core/record.js';
import type { Reporter } from '../output/reporter.js';
import { SerialQueue } from './serial-queue.js';

export interface EventRunner {
  /** Queues the record; returns at once. */
  push(record: EventRecord): void;
  /** Waits until every queued record was handled. */
  drain(): Promise<void>;
  /** Drops what waits and stops the work in hand. */
  stop(): void;
}

export interface RunnerOptions {
  /** `--exec`, `--forward-to`: how the messages name it. */
  label: string;
  /** What is too slow, for the overflow message: "the command", "the hook". */
  consumer: string;
  limit: number;
  reporter: Reporter;
  handle(record: EventRecord): Promise<void>;
  /** Stops the work in hand (a child process, a request). */
  abort(): void;
}

export function createRunner(options: RunnerOptions): EventRunner {
  const { label, reporter, limit } = options;
  let dropped = 0;
  let firstDropped: EventRecord | null = null;

  const reportGap = (): void => {
    if (dropped === 0) return;
    reporter.warn(
      `${label}: dropped ${dropped} event${dropped === 1 ? '' : 's'} (from ${firstDropped!.name} at ${firstDropped!.created_at}) while ${options.consumer} was behind`,
    );
    dropped = 0;
    firstDropped = null;
  };

  const queue = new SerialQueue<EventRecord>(
    async (items) => {
      reportGap();
      await options.handle(items[0]!);
    },
    {
      limit,
      onOverflow: (record) => {
        if (dropped === 0) {
          firstDropped = record;
          reporter.warnOnce(
            `${label}-overflow`,
            `${label}: ${options.consumer} is too slow for the events; more than ${limit} wait, so newer ones are dropped (each gap is reported)`,
          );
        }
        dropped += 1;
      },
    },
  );

  return {
    push: (record) => void queue.push(record),
    drain: async () => {
      await queue.idle();
      reportGap();
    },
    stop: () => {
      queue.stop();
      options.abort();
      reportGap();
    },
  };
}
