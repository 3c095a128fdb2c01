/**
 * `listen --forward-to URL`: POSTs each record as JSON to a web hook, in order, retrying a
 * failed delivery with back-off before moving on, as `stripe listen --forward-to` does.
 */
import { backoffDelay } from '../core/backoff.js';
import type { EventRecord } from '../core/record.js';
import { UsageError } from '../errors.js';
import { sleep } from '../core/sleep.js';
import type { Reporter } from '../output/reporter.js';
import { createRunner, type EventRunner } from './queued-runner.js';

export const FORWARD_QUEUE_LIMIT = 10_000;
/** Tries per record, the first included. */
export const FORWARD_ATTEMPTS = 5;
const FORWARD_TIMEOUT_MS = 10_000;

export interface ForwardOptions {
  reporter: Reporter;
  /** Print the answer to each delivery (the table view), not only failures. */
  showEach: boolean;
  signal: AbortSignal;
  userAgent: string;
  limit?: number;
  attempts?: number;
  /** Back-off of the retries; tests may shorten it. */
  retryBaseMs?: number;
}

/** Checks the URL early, so that a typo is a usage error (exit 2) before anything connects. */
export function parseForwardUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--forward-to: '${text}' is not a URL`, 'give a full address such as http://localhost:4000/hooks/kitsu');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--forward-to: '${text}' is not an http or https address`, 'such as http://localhost:4000/hooks/kitsu');
  }
  return url;
}

export async function createForwarder(url: URL, options: ForwardOptions): Promise<EventRunner> {
  const { request } = await import('undici');
  const { reporter } = options;
  const attempts = options.attempts ?? FORWARD_ATTEMPTS;
  const limit = options.limit ?? FORWARD_QUEUE_LIMIT;
  const stopped = new AbortController();
  const signal = AbortSignal.any([options.signal, stopped.signal]);
  const target = `POST ${url.href}`;

  /** One delivery: the status, or what went wrong on the way. */
  async function post(record: EventRecord): Promise<{ status?: number; problem?: string }> {
    try {
      const answer = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': options.userAgent },
        body: JSON.stringify(record),
        signal: AbortSignal.any([signal, AbortSignal.timeout(FORWARD_TIMEOUT_MS)]),
        headersTimeout: FORWARD_TIMEOUT_MS,
        bodyTimeout: FORWARD_TIMEOUT_MS,
      });
      // Read and discard the body, so the connection can be reused.
      await answer.body.dump();
      return { status: answer.statusCode };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      const code = (error as { code?: string }).code ?? cause?.code;
      return { problem: code ?? (error instanceof Error ? error.message : String(error)) };
    }
  }

  return createRunner({
    label: '--forward-to',
    consumer: 'the hook',
    limit,
    reporter,
    handle: async (record) => {
      for (let attempt = 1; attempt <= attempts && !signal.aborted; attempt += 1) {
        const { status, problem } = await post(record);
        if (signal.aborted) return;
        const ok = status !== undefined && status >= 200 && status < 300;
        const label = status !== undefined ? `[${status}]` : `[${problem}]`;
        if (ok) {
          if (options.showEach) reporter.info(`  <-- ${label} ${target} (${record.name})`);
          return;
        }
        // A 4xx other than 408 and 429 is the hook saying no to this record: do not insist.
        const retryable = status === undefined || status >= 500 || status === 408 || status === 429;
        if (!retryable || attempt === attempts) {
          reporter.warn(
            `--forward-to: ${label} ${target} for ${record.name} (${record.created_at}); ` +
              (retryable ? `gave up after ${attempts} tries` : 'not retried') +
              ', going on with the next event',
          );
          return;
        }
        const delayMs = backoffDelay(attempt - 1, { baseMs: options.retryBaseMs ?? 500, capMs: 10_000 });
        reporter.warn(`--forward-to: ${label} ${target} for ${record.name}; retrying in ${(delayMs / 1000).toFixed(1)} s (try ${attempt + 1} of ${attempts})`);
        await sleep(delayMs, signal);
      }
    },
    abort: () => stopped.abort(),
  });
}
