/**
 * Helpers for the output tests: records to write, and the capture streams of context.ts
 * (build the Context itself with testContext()).
 */
import type { EventRecord } from '../../src/core/record.js';

export { captureStream } from './context.js';

/** A log record; `overrides` replace any field. */
export function sampleRecord(overrides: Partial<EventRecord> = {}): EventRecord {
  return {
    id: '4f1c2d3e-0000-4000-8000-000000000001',
    name: 'task:status-changed',
    created_at: '2026-11-29T08:00:01Z',
    user_id: 'a1b2c3d4-0000-4000-8000-000000000002',
    project_id: 'b2c3d4e5-0000-4000-8000-000000000003',
    data: {
      task_id: 'c3d4e5f6-0000-4000-8000-000000000004',
      new_task_status_id: 'd4e5f6a7-0000-4000-8000-000000000005',
      project_id: 'b2c3d4e5-0000-4000-8000-000000000003',
    },
    source: 'log',
    ...overrides,
  };
}

/** Resolves once `condition()` holds, checking every few milliseconds. */
export async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
