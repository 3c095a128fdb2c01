/**
 * Where a printed history ends and live events begin: the last second printed, and the log
 * ids printed in it. `logs --follow` hands it to the follow engine, which then skips exactly
 * those rows of that second and nothing after it.
 */
import type { EventRecord } from './record.js';
import { secondOf } from './seconds.js';

export class SeamTracker {
  second: number | null = null;
  ids = new Set<string>();

  note(record: EventRecord): void {
    const second = secondOf(record);
    if (second !== this.second) {
      this.second = second;
      this.ids = new Set();
    }
    if (record.id) this.ids.add(record.id);
  }
}
