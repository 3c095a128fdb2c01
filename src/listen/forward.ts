/**
 * `listen --forward-to URL`: POSTs each record as JSON to a web hook, in order, as
 * `stripe listen --forward-to` does. Only what can succeed later is retried: network errors,
 * 5xx, 408, and 429 (after its Retry-After). Any other 4xx is the hook refusing that record:
 * it is dropped at once, said once per status, and counted for the summary and exit code.
 * With a secret, each delivery is signed like Stripe's webhooks (see signatureHeader).
 */
import { createHmac } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { backoffDelay } from '../core/backoff.js';
import type { EventRecord } from '../core/record.js';
import { UsageError } from '../errors.js';
import { sleep } from '../core/sleep.js';
import type { Reporter } from '../output/reporter.js';
import { createRunner, type EventRunner } from './queued-runner.js';
import { createTransport } from '../kitsu/transport.js';

export const FORWARD_QUEUE_LIMIT = 10_000;
/** Tries per record, the first included. */
export const FORWARD_ATTEMPTS = 5;
const FORWARD_TIMEOUT_MS = 10_000;
/** The longest Retry-After honoured; a hook asking for more is asked again after this. */
const RETRY_AFTER_CAP_MS = 60_000;
/** The header that carries the signature. */
export const SIGNATURE_HEADER = 'kitsu-tail-signature';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`: the scheme of
 * Stripe's `Stripe-Signature`. The receiver recomputes v1 over the raw body and refuses a `t`
 * too old, which stops a captured request from being replayed later.
 */
export function signatureHeader(secret: string, body: string, atMs: number): string {
  const t = Math.floor(atMs / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/** Retry-After as seconds or an HTTP date, in ms from `nowMs`; null when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, nowMs: number): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return null;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

export interface Forwarder extends EventRunner {
  /** Records the hook refused or never took, so far. */
  readonly dropped: number;
}

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
  /** Signs each delivery (--forward-secret or KITSU_TAIL_FORWARD_SECRET). */
  secret?: string;
  now?: () => number;
}

/** Checks the URL early, so that a typo is a usage error (exit 2) before anything connects. */
export function parseForwardUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `--forward-to: '${text}' is not a URL`,
      'give a full address such as http://localhost:4000/hooks/kitsu',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `--forward-to: '${text}' is not an http or https address`,
      'such as http://localhost:4000/hooks/kitsu',
    );
  }
  return url;
}

export async function createForwarder(url: URL, options: ForwardOptions): Promise<Forwarder> {
  const { reporter } = options;
  // Node's own http, as for the REST client (src/kitsu/transport.ts says why not undici).
  const agentOptions = { keepAlive: true };
  const agent = url.protocol === 'https:' ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const transport = createTransport(agent, {
    connectMs: FORWARD_TIMEOUT_MS,
    headersMs: FORWARD_TIMEOUT_MS,
    bodyMs: FORWARD_TIMEOUT_MS,
  });
  const attempts = options.attempts ?? FORWARD_ATTEMPTS;
  const limit = options.limit ?? FORWARD_QUEUE_LIMIT;
  const stopped = new AbortController();
  const signal = AbortSignal.any([options.signal, stopped.signal]);
  const target = `POST ${url.href}`;
  const now = options.now ?? (() => Date.now());
  let dropped = 0;
  const refusalsSaid = new Set<number>();

  /** One delivery: the status (and its Retry-After), or what went wrong on the way. */
  async function post(
    record: EventRecord,
  ): Promise<{ status?: number; retryAfter?: string | string[]; problem?: string }> {
    const body = JSON.stringify(record);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': options.userAgent };
    // Signed when sent: a retry carries a fresh time.
    if (options.secret !== undefined) headers[SIGNATURE_HEADER] = signatureHeader(options.secret, body, now());
    try {
      const answer = await transport.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(FORWARD_TIMEOUT_MS)]),
      });
      // Read and discard the body, so the connection can be reused.
      await answer.body.dump();
      const retryAfter = answer.headers['retry-after'];
      return retryAfter === undefined ? { status: answer.statusCode } : { status: answer.statusCode, retryAfter };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      const code = (error as { code?: string }).code ?? cause?.code;
      return { problem: code ?? (error instanceof Error ? error.message : String(error)) };
    }
  }

  const runner = createRunner({
    label: '--forward-to',
    consumer: 'the hook',
    limit,
    reporter,
    handle: async (record) => {
      for (let attempt = 1; attempt <= attempts && !signal.aborted; attempt += 1) {
        const { status, problem, retryAfter } = await post(record);
        if (signal.aborted) return;
        const ok = status !== undefined && status >= 200 && status < 300;
        const label = status !== undefined ? `[${status}]` : `[${problem}]`;
        if (ok) {
          if (options.showEach) reporter.info(`  <-- ${label} ${target} (${record.name})`);
          return;
        }
        // A 4xx other than 408 and 429 is the hook saying no to this record: do not insist,
        // and do not hold the events behind it.
        const retryable = status === undefined || status >= 500 || status === 408 || status === 429;
        if (!retryable) {
          dropped += 1;
          if (!refusalsSaid.has(status)) {
            refusalsSaid.add(status);
            reporter.warn(
              `--forward-to: ${label} ${target} for ${record.name} (${record.created_at}); events the hook answers ${status} are dropped, not retried (said once; the summary counts them)`,
            );
          }
          return;
        }
        if (attempt === attempts) {
          dropped += 1;
          reporter.warn(
            `--forward-to: ${label} ${target} for ${record.name} (${record.created_at}); gave up after ${attempts} tries, going on with the next event`,
          );
          return;
        }
        const asked = status === 429 || status === 503 ? retryAfterMs(retryAfter, now()) : null;
        const delayMs =
          asked !== null
            ? Math.min(asked, RETRY_AFTER_CAP_MS)
            : backoffDelay(attempt - 1, { baseMs: options.retryBaseMs ?? 500, capMs: 10_000 });
        const why = asked !== null ? ' as Retry-After asks' : '';
        reporter.warn(
          `--forward-to: ${label} ${target} for ${record.name}; retrying in ${(delayMs / 1000).toFixed(1)} s${why} (try ${attempt + 1} of ${attempts})`,
        );
        await sleep(delayMs, signal);
      }
    },
    abort: () => {
      stopped.abort();
      void transport.close();
    },
  });
  return Object.defineProperty(runner, 'dropped', { get: () => dropped, enumerable: true }) as Forwarder;
}
