/** The generated history a sandbox starts with, spread over the past. */
import { rowProjectId, type EventStore } from './event-store.js';
import type { ActivityGenerator } from './generator.js';
import { Random } from './random.js';

/**
 * Writes a generated history over the past: one exponential gap per action, scaled so the
 * whole span is used, and the events of an action a few tens of milliseconds apart. Rows are
 * appended with placeholder times and stamped at the end, once the total of the gaps is known.
 */
export function writeHistory(
  store: EventStore,
  generator: ActivityGenerator,
  count: number,
  spanSeconds: number,
  seed: number,
  nowMs: number,
): void {
  if (count <= 0) return;
  const random = new Random(seed ^ 0x5eed);
  const gapSum = new Float64Array(count);
  const offset = new Float64Array(count);
  let total = 0;
  let i = 0;
  while (i < count) {
    total += -Math.log(1 - random.next());
    let within = 0;
    for (const e of generator.action(false)) {
      if (i === count) break;
      gapSum[i] = total;
      offset[i] = within;
      within += random.int(200, 60_000);
      store.append(e.name, i, e.userId, rowProjectId(e.name, e.data), e.data);
      i += 1;
    }
  }
  const endUs = (nowMs - 1000) * 1000;
  const startUs = endUs - spanSeconds * 1_000_000;
  const scale = (endUs - startUs) / total;
  const times = new Float64Array(count);
  let last = -Infinity;
  for (let k = 0; k < count; k += 1) {
    const t = Math.max(Math.floor(startUs + (gapSum[k] as number) * scale + (offset[k] as number)), last + 1);
    times[k] = t;
    last = t;
  }
  store.stampTimes(times);
}
