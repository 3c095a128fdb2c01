/**
 * How long to wait before retry number `attempt` (0 for the first retry): "full jitter"
 * exponential back-off, a random delay between 0 and min(cap, base · 2^attempt). Spreading
 * the delays over the whole window keeps a studio's many listeners from reconnecting in step
 * after a server restart (see the AWS Architecture Blog, "Exponential Backoff and Jitter").
 */
export interface BackoffOptions {
  /** The window of the first retry (default 500 ms). */
  baseMs?: number;
  /** The largest window (default 30 s). */
  capMs?: number;
  /** A number in [0, 1); tests pass a seeded one. */
  random?: () => number;
}

export const DEFAULT_BACKOFF_BASE_MS = 500;
export const DEFAULT_BACKOFF_CAP_MS = 30_000;

/** The largest delay attempt `attempt` can get: the window full jitter draws from. */
export function backoffWindow(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
  const cap = options.capMs ?? DEFAULT_BACKOFF_CAP_MS;
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  // 2 ** n overflows to Infinity for huge n, which min() turns into the cap.
  return Math.min(cap, base * 2 ** n);
}

/** Milliseconds to wait before retry `attempt` (0-based): a whole number in [0, window]. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const random = options.random ?? Math.random;
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * backoffWindow(attempt, options));
}
