/**
 * Starting before Kitsu is up: a service started by systemd may come up before the server it
 * watches. Opening the session is tried again with the stream's back-off while the server
 * cannot be reached or answers 502/503/504 (a proxy in front of a Kitsu that is down), and
 * `--max-reconnects N` bounds the tries as it bounds reconnects. What no wait can mend fails at
 * once: a host name that does not resolve, a TLS failure, an answer that is not Kitsu.
 */
import { backoffDelay } from '../core/backoff.js';
import { NetworkError, ServerError } from '../errors.js';
import type { OutageReport } from '../output/outage.js';
import type { Reporter } from '../output/reporter.js';

/** Whether waiting may help: the host is there, Kitsu (or the way to it) is not up yet. */
export function worthRetrying(error: unknown): boolean {
  if (error instanceof NetworkError) {
    return /connection refused|connection reset|timed out|did not answer in time|socket hang up|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN/i.test(
      error.message,
    );
  }
  if (error instanceof ServerError) return /failed with 50[234]\b/.test(error.message);
  return false;
}

export interface StartOptions {
  maxReconnects?: number;
  reporter: Reporter;
  /** How the wait reaches a person: one line when Kitsu is not up, one when it is (src/output/outage.ts). */
  outage: OutageReport;
  /** Waits `ms` (ends early when the run is interrupted). */
  sleep(ms: number): Promise<void>;
  aborted(): boolean;
}

/** `open()` until it succeeds, waiting with back-off while the server is not up. */
export async function openWhenUp<T>(open: () => Promise<T>, options: StartOptions): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    let session: T;
    try {
      session = await open();
    } catch (error) {
      if (!worthRetrying(error) || options.aborted()) {
        options.outage.close();
        throw error;
      }
      const message = (error as Error).message.replace(/\.$/, '');
      if (options.maxReconnects !== undefined && attempt > options.maxReconnects) {
        options.outage.close();
        throw new NetworkError(
          `Kitsu is not up (${message}) and --max-reconnects ${options.maxReconnects} allows no more attempts`,
          'check that Kitsu is running and reachable, or raise --max-reconnects',
        );
      }
      const delayMs = backoffDelay(attempt - 1);
      options.reporter.verbose(
        `Kitsu is not up yet (${message}); trying again in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt + 1})`,
      );
      options.outage.retrying(delayMs, message);
      await options.sleep(delayMs);
      if (options.aborted()) {
        options.outage.close();
        throw error;
      }
      continue;
    }
    // Said only when there was a wait: `Kitsu up after 42 s (waited 07:58:02 to 07:58:44)`.
    options.outage.over(null);
    return session;
  }
}
