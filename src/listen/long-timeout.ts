/**
 * setTimeout for any duration. Node's timers hold at most 2^31-1 ms (about 24.8 days): a
 * longer delay fires after 1 ms with a TimeoutOverflowWarning, which ended
 * `listen --idle-timeout 25d` at once. This chains timers of at most that length instead.
 */

/** The longest delay one Node timer holds. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimeout {
  clear(): void;
}

/** Calls `fire` once, `ms` from now (counted on the monotonic timer clock), unless cleared first. */
export function setLongTimeout(fire: () => void, ms: number): LongTimeout {
  let left = Math.max(0, ms);
  let timer: NodeJS.Timeout | undefined;
  const step = (): void => {
    const now = Math.min(left, MAX_TIMER_MS);
    left -= now;
    timer = setTimeout(left > 0 ? step : fire, now);
  };
  step();
  return { clear: () => clearTimeout(timer) };
}
