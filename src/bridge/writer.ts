/**
 * `kitsu-tail bridge`: copies every stored Kitsu event into one Redis stream, exactly once and
 * in log order, however often it is killed, with any number of standbys.
 *
 * - Leadership: a lease with a fencing number (lease.ts). The leader renews it a few times a
 *   lease; the others ask now and then and take over when it lapses. Every write goes through
 *   WRITE_SCRIPT, which refuses a holder whose lease or number is no longer current.
 * - What goes in comes from the log, read with the export's reader (readLogWindows) from the
 *   position kept in Redis, minus the checkpoint's overlap (OVERLAP_SECONDS): the server
 *   truncates times to the second and a row can become visible after a later one was read,
 *   so the last seconds are read again and ids already written are skipped, by the script
 *   (authoritative) and by a copy of its id set kept here (to send fewer).
 * - A batch, its ids and the position after it are one script call: killed at any instant,
 *   the stream and the position agree.
 * - Live events only wake a log read (and once more a moment later, since Zou writes the row
 *   just after it publishes); while the event stream is down the log is polled instead. Events
 *   Kitsu never stores are written on receipt, at most once (unstored.ts).
 * - Redis unreachable: the client reconnects with back-off; a write that failed is read and
 *   written again, and the ids skip what had made it.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { backoffDelay } from '../core/backoff.js';
import { OVERLAP_SECONDS, RecentIds } from '../core/checkpoint.js';
import { recordFromLive } from '../core/normalize.js';
import type { EventRecord } from '../core/record.js';
import type { Clock } from '../context.js';
import { AuthError, PermissionError, UsageError } from '../errors.js';
import { matchesQuery, readLogWindows, type LogQuery } from '../kitsu/event-log.js';
import { runEventStream } from '../kitsu/event-stream.js';
import { sleep } from '../core/sleep.js';
import { secondOf } from '../core/seconds.js';
import type { NameResolver } from '../kitsu/names.js';
import type { Session } from '../kitsu/types.js';
import type { Reporter } from '../output/reporter.js';
import { pushEntryArgs } from './entry.js';
import type { BusKeys } from './keys.js';
import { describeHolder, Lease } from './lease.js';
import { fatalRedisError, type RedisLink } from './redis.js';
import { CallPipeline } from './pipeline.js';
import { readAhead } from './read-ahead.js';
import { WRITE_SCRIPT } from './scripts.js';
import { isUnstoredEvent } from './unstored.js';

/**
 * Entries a script call writes at most, and their bytes (`data` mostly). Measured on Redis
 * 7.0 with plain arguments, a call costs about the same per entry (6-9 µs) from 100 to 1000
 * entries, but on a busy machine each round trip waits for the scheduler, so fewer, larger
 * calls went faster (test/bench/bridge.bench.ts). A call blocks Redis while it runs: the
 * bytes bound keeps that to a few milliseconds whatever the events hold.
 */
const ENTRIES_PER_CALL = 1000;
const BYTES_PER_CALL = 512 * 1024;
/** Script calls sent before the first is answered (pipeline.ts). */
const CALLS_IN_FLIGHT = 4;
/** Log windows (up to 10,000 rows each) read ahead of the writes (read-ahead.ts). */
const READ_AHEAD_WINDOWS = 3;
/** How often the log is read while the event stream is down. */
const POLL_DOWN_MS = 2_000;
/**
 * How often the log is read while the stream is up: an API process that lost its Redis
 * publishes nothing but still stores its events (kitsu-protocol §2.8's silent failure).
 */
const POLL_UP_MS = 30_000;
/** A second read this long after a live event, for a row written just after its emit. */
const FOLLOW_UP_MS = 400;
/**
 * A live event wakes a read of the newest seconds only (from the newest row seen: a page at
 * most, where a read from the position less the overlap is ten seconds of rows, a thousand at
 * 100 events a second); the overlap is read again, and the position moved, at most this often
 * while events flow, and at every poll and follow-up. Measured: p99 latency at 100 events/s
 * (test/bench/bridge.bench.ts).
 */
const FULL_READ_MS = 1_000;

export interface BridgeSettings {
  link: RedisLink;
  keys: BusKeys;
  /** For messages: the Redis URL without its password. */
  where: string;
  session: Session;
  /** What goes in: patterns, projects, people, only files. No since/until. */
  query: LogQuery;
  /** A canonical text of `query`, so that bridges with other filters do not share a stream. */
  queryId: string;
  /** Where a new stream starts, in seconds (--since); null: the start of the log. */
  since: number | null;
  /** XADD MAXLEN ~ this; 0: no trimming. */
  maxLen: number;
  leaseMs: number;
  reporter: Reporter;
  signal: AbortSignal;
  clock: Clock;
  /** --names: each entry gets the names of what its event is about, as JSON. */
  names?: NameResolver;
}

export interface BridgeSummary {
  /** Entries this process wrote. */
  written: number;
}

class LostLease extends Error {
  constructor(readonly holder: string) {
    super('the lease was lost');
  }
}

export function bridgeOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export async function runBridge(settings: BridgeSettings): Promise<BridgeSummary> {
  return new Bridge(settings).run();
}

class Bridge {
  private readonly lease: Lease;
  private readonly reporter: Reporter;
  private written = 0;
  private failure: unknown = null;
  /** Ends the whole run: Ctrl-C, or a failure no retry cures. */
  private readonly stop = new AbortController();

  constructor(private readonly s: BridgeSettings) {
    this.lease = new Lease(s.link, s.keys, bridgeOwner(), s.leaseMs);
    this.reporter = s.reporter;
  }

  private get keyList(): string[] {
    const { keys } = this.s;
    return [keys.stream, keys.state, keys.lease, keys.recent];
  }

  async run(): Promise<BridgeSummary> {
    const onAbort = () => this.stop.abort();
    if (this.s.signal.aborted) onAbort();
    this.s.signal.addEventListener('abort', onAbort, { once: true });
    let seenHolder: string | null = null;
    let troubles = 0;
    try {
      while (!this.stop.signal.aborted) {
        let answer;
        try {
          answer = await this.lease.tryHold();
          troubles = 0;
        } catch (error) {
          this.redisTrouble(error, 'could not ask for the lease');
          await sleep(backoffDelay(troubles++, { baseMs: 500, capMs: 5_000 }), this.stop.signal);
          continue;
        }
        if (answer.kind === 'held') {
          if (seenHolder !== answer.holder) {
            this.reporter.info(`standing by: ${describeHolder(answer.holder)} leads; taking over if its lease lapses`);
            seenHolder = answer.holder;
          }
          const wait = Math.min(this.s.leaseMs / 3, Math.max(50, answer.ttlMs));
          await sleep(wait + Math.floor(Math.random() * 100), this.stop.signal);
          continue;
        }
        if (seenHolder !== null)
          this.reporter.info(`took over from ${describeHolder(seenHolder)} (fence ${answer.fence})`);
        else
          this.reporter.info(
            `leading (fence ${answer.fence}): writing the Kitsu event log to ${this.s.keys.stream} at ${this.s.where}`,
          );
        seenHolder = null;
        const lostTo = await this.lead();
        if (lostTo === '') {
          // Nobody holds it: it lapsed while Redis or this process was away.
          this.reporter.warn('the lease lapsed (Redis restarted or this process was paused); asking for it again');
        } else if (lostTo !== null) {
          this.reporter.warn(`lost the lease to ${describeHolder(lostTo)}; standing by`);
          seenHolder = lostTo;
        }
      }
    } finally {
      this.s.signal.removeEventListener('abort', onAbort);
      await this.lease.release().catch(() => undefined);
    }
    if (this.failure !== null) throw this.failure;
    return { written: this.written };
  }

  private fail(error: unknown): void {
    if (this.failure === null) this.failure = error;
    this.stop.abort();
  }

  /** A Redis failure: fatal ones end the run; a lost connection is said (once) and retried. */
  private redisTrouble(error: unknown, what: string): void {
    const fatal = fatalRedisError(error);
    if (fatal) return this.fail(fatal);
    const message = error instanceof Error ? error.message : String(error);
    this.reporter.verbose(`${what}: ${message}`);
  }

  /** Leads until the lease is lost (returns its new holder) or the run ends (returns null). */
  private async lead(): Promise<string | null> {
    const leading = new AbortController();
    const onStop = () => leading.abort();
    this.stop.signal.addEventListener('abort', onStop, { once: true });
    let lostTo: string | null = null;
    const lose = (holder: string) => {
      lostTo ??= holder;
      leading.abort();
    };
    const renewal = setInterval(
      () => {
        this.lease.tryHold().then(
          (answer) => {
            if (answer.kind === 'held') lose(answer.holder);
          },
          (error: unknown) => this.redisTrouble(error, 'could not renew the lease'),
        );
      },
      Math.max(50, Math.floor(this.s.leaseMs / 3)),
    );
    const pump = new Pump(this.s, this.lease, leading.signal, this.keyList, {
      written: (n) => (this.written += n),
      fatal: (error) => this.fail(error),
    });
    try {
      await pump.run();
    } catch (error) {
      if (error instanceof LostLease) lose(error.holder);
      else if (!leading.signal.aborted || this.stop.signal.aborted) this.fail(error);
    } finally {
      clearInterval(renewal);
      this.stop.signal.removeEventListener('abort', onStop);
      leading.abort();
    }
    return lostTo;
  }
}

/** One term of leadership: reads the log on wake-ups and writes what is new. */
class Pump {
  private recent = new RecentIds();
  private position: number | null = null;
  /** The sequence number of the next script call (WRITE_SCRIPT checks it). */
  private seq = 0;
  private pipeline = new CallPipeline(CALLS_IN_FLIGHT);
  /**
   * A write failed: a call whose reply was lost may have run, so the position and ids held
   * here may be behind Redis's. They are read again before the next read of the log.
   */
  private stale = false;
  private start: number | null = null;
  private dirty = true;
  /** A wake other than a live event's came (a poll, the follow-up, the stream back): read it all. */
  private fullWanted = true;
  private lastFullReadAt = 0;
  /** The second of the newest log row read, where a read for a live event starts. */
  private newest: number | null = null;
  private wakeUp: (() => void) | null = null;
  private followUpAt: number | null = null;
  private streamUp = false;
  private caughtUp = false;

  constructor(
    private readonly s: BridgeSettings,
    private readonly lease: Lease,
    private readonly signal: AbortSignal,
    private readonly keyList: string[],
    private readonly on: { written(n: number): void; fatal(error: unknown): void },
  ) {}

  /** `live`: for a live event (a read of the newest rows will do); else a full read. */
  private wake(live: boolean): void {
    this.dirty = true;
    if (live) this.followUpAt = this.s.clock.now() + FOLLOW_UP_MS;
    else this.fullWanted = true;
    this.wakeUp?.();
  }

  async run(): Promise<void> {
    await this.retrying('could not read the bridge state from Redis', () => this.loadState());
    if (this.signal.aborted) return;
    // Ends with the term, or as soon as the pump fails.
    const streamStop = new AbortController();
    const onEnd = () => streamStop.abort();
    this.signal.addEventListener('abort', onEnd, { once: true });
    const stream = runEventStream(this.s.session, {
      signal: streamStop.signal,
      clock: this.s.clock,
      handlers: {
        onEvent: (name, payload, at) => this.onLive(name, payload, at),
        onConnected: () => {
          this.streamUp = true;
          this.wake(false);
        },
        onDisconnected: (info) => {
          this.streamUp = false;
          this.s.reporter.info(
            `the Kitsu event stream disconnected (${info.reason}); polling the log until it is back`,
          );
        },
        onRetry: () => {
          this.streamUp = false;
        },
      },
    });
    // A refused session ends the run; anything else the stream retries itself.
    const streamDone = stream.catch((error: unknown) => this.on.fatal(error));
    try {
      while (!this.signal.aborted) {
        if (this.dirty) {
          this.dirty = false;
          const full =
            this.fullWanted || this.newest === null || this.s.clock.now() - this.lastFullReadAt >= FULL_READ_MS;
          this.fullWanted = false;
          await this.retrying('could not bring the stream up to date', () => this.readOnce(full));
          continue;
        }
        const now = this.s.clock.now();
        const pollAt = now + (this.streamUp ? POLL_UP_MS : POLL_DOWN_MS);
        const at = this.followUpAt !== null ? Math.min(this.followUpAt, pollAt) : pollAt;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(0, at - now));
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
          this.signal.addEventListener('abort', this.wakeUp, { once: true });
        });
        if (this.wakeUp) this.signal.removeEventListener('abort', this.wakeUp);
        this.wakeUp = null;
        if (this.followUpAt !== null && this.s.clock.now() >= this.followUpAt) this.followUpAt = null;
        if (!this.dirty) this.fullWanted = true; // A poll or the follow-up, not a live event.
        this.dirty = true;
      }
    } finally {
      this.signal.removeEventListener('abort', onEnd);
      streamStop.abort();
      await streamDone;
    }
  }

  /** Runs `work` until it succeeds, the term ends, or a failure no retry cures. */
  private async retrying(what: string, work: () => Promise<void>): Promise<void> {
    for (let attempt = 0; !this.signal.aborted; attempt += 1) {
      try {
        await work();
        return;
      } catch (error) {
        if (this.signal.aborted || error instanceof LostLease) throw error;
        // Kitsu refusing the session or the filters, Redis the password or the key type.
        if (error instanceof AuthError || error instanceof PermissionError || error instanceof UsageError) throw error;
        const fatal = fatalRedisError(error);
        if (fatal) throw fatal;
        // What is left is worth a retry: Kitsu or Redis unreachable, a 5xx, a restart.
        const delay = Math.max(200, backoffDelay(attempt, { baseMs: 500, capMs: 5_000 }));
        const message = error instanceof Error ? error.message : String(error);
        if (attempt === 0) this.s.reporter.warn(`${what} (${message}); retrying`);
        else this.s.reporter.verbose(`${what} (${message}); retry in ${delay} ms`);
        await sleep(delay, this.signal);
      }
    }
  }

  private async loadState(): Promise<void> {
    const { link, keys } = this.s;
    const state = pairs((await link.call(keys.state, ['HGETALL', keys.state])) as unknown[]);
    if (state.query !== undefined && state.query !== this.s.queryId) {
      throw new UsageError(
        `the stream ${keys.stream} is written by bridges with other filters (${state.query})`,
        'use another --stream for these filters, or run the bridge with the filters that made it',
      );
    }
    await link.call(keys.state, ['HSETNX', keys.state, 'query', this.s.queryId]);
    await link.call(keys.state, ['HSETNX', keys.state, 'start', this.s.since === null ? '' : String(this.s.since)]);
    await this.reload();
  }

  /** The position, the ids of the last seconds and the call sequence, as Redis has them. */
  private async reload(): Promise<void> {
    const { link, keys } = this.s;
    const state = pairs((await link.call(keys.state, ['HGETALL', keys.state])) as unknown[]);
    this.start = state.start === undefined || state.start === '' ? null : Number(state.start);
    this.position = state.position === undefined ? null : Number(state.position);
    this.seq = state.seq === undefined ? 0 : Number(state.seq);
    const ids = (await link.call(keys.recent, ['ZRANGE', keys.recent, '0', '-1', 'WITHSCORES'])) as unknown[];
    this.recent = new RecentIds();
    for (let i = 0; i + 1 < ids.length; i += 2) this.recent.add(String(ids[i]), Number(ids[i + 1]));
    this.pipeline = new CallPipeline(CALLS_IN_FLIGHT);
    this.stale = false;
  }

  private onLive(name: string, payload: unknown, receivedAtMs: number): void {
    if (!isUnstoredEvent(name)) {
      this.wake(true);
      return;
    }
    const record = recordFromLive(name, payload, receivedAtMs);
    if (!matchesQuery(record, this.s.query)) return;
    // At most once: one attempt, never repeated (a retry could write it twice).
    this.send([record], null)
      .then((applied) => applied)
      .catch((error: unknown) => {
        if (error instanceof LostLease || this.signal.aborted) return;
        this.s.reporter.warn(
          `could not write ${name} (an event Kitsu does not store) to Redis: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
  }

  /**
   * Reads the log to now and writes what is new: `full`, from the position less the overlap,
   * moving the position; else from the newest second read, leaving the position (and the ids
   * of the last seconds) for the next full read.
   */
  private async readOnce(full: boolean): Promise<void> {
    if (this.stale || this.pipeline.failed) {
      await this.reload();
      full = true;
    }
    if (full) this.lastFullReadAt = this.s.clock.now();
    const from = !full
      ? this.newest
      : this.position === null
        ? this.start
        : Math.max(this.start ?? 0, this.position - OVERLAP_SECONDS);
    const query: LogQuery = { ...this.s.query };
    if (from !== null) query.since = new Date(from * 1000);
    const written = this.written;
    // The log is read ahead (READ_AHEAD_WINDOWS) while what was read is written: a backlog
    // then goes at the pace of the slower of the two rather than of their sum.
    const windows = readAhead(readLogWindows(this.s.session, query, { signal: this.signal }), READ_AHEAD_WINDOWS);
    try {
      for await (const batch of windows) {
        const last = batch.rows[batch.rows.length - 1];
        if (last) this.newest = Math.max(this.newest ?? 0, secondOf(last));
        await this.send(
          batch.rows.filter((row) => !this.recent.has(row.id!)),
          full ? batch.readThrough : null,
        );
      }
      await this.pipeline.drain();
    } catch (error) {
      this.stale = true;
      await this.pipeline.drain().catch(() => undefined);
      throw error;
    }
    const added = this.written - written;
    if (!this.caughtUp) {
      this.caughtUp = true;
      this.s.reporter.info(
        `caught up with the log (${added} event${added === 1 ? '' : 's'} written); following live events`,
      );
    } else if (added > 0) {
      this.s.reporter.verbose(`wrote ${added} event${added === 1 ? '' : 's'}`);
    }
  }

  /** Entries this term wrote (the replies applied so far). */
  private written = 0;

  /**
   * Sends `records` (log rows, or one unstored live event) in script calls through the
   * pipeline; the last call moves the position to `readThrough` when given. Resolves once
   * they are sent, to the last call's `applied` (the pipeline's drain waits for them all).
   */
  private async send(records: EventRecord[], readThrough: number | null): Promise<Promise<void>> {
    const fence = this.lease.fence;
    if (fence === null) throw new LostLease('');
    const names = this.s.names ? await namesOf(this.s.names, records) : null;
    let i = 0;
    let applied: Promise<void> = Promise.resolve();
    let lastTime = '';
    let lastSecond = 0;
    do {
      const args: string[] = [];
      const ids: string[] = [];
      const seconds: number[] = [];
      let bytes = 0;
      for (; i < records.length && ids.length < ENTRIES_PER_CALL && bytes < BYTES_PER_CALL; i += 1) {
        const record = records[i]!;
        // Rows come several to a second: the time is parsed once for them.
        if (record.created_at !== lastTime) {
          lastTime = record.created_at;
          lastSecond = secondOf(record);
        }
        const second = record.id === null ? 0 : lastSecond;
        const at = args.length;
        pushEntryArgs(args, record, second, names?.[i] ?? '');
        for (let k = at; k < args.length; k += 1) bytes += args[k]!.length;
        ids.push(record.id ?? '');
        seconds.push(second);
      }
      const moves = i >= records.length && readThrough !== null;
      const header = [
        this.lease.owner,
        fence,
        moves ? String(readThrough) : '',
        moves ? String(readThrough - OVERLAP_SECONDS) : '',
        String(this.s.maxLen),
        String(ids.length),
      ];
      ({ applied } = await this.pipeline.push(
        // The sequence number is taken as the call is sent: calls leave in that order.
        () => this.s.link.eval(WRITE_SCRIPT, this.keyList, [...header, String(this.seq++), ...args]),
        (reply) => this.applyReply(reply as unknown[], ids, seconds, moves ? readThrough : null),
      ));
    } while (i < records.length);
    return applied;
  }

  /** A script call's reply: what it wrote is now known written. */
  private applyReply(reply: unknown[], ids: string[], seconds: number[], readThrough: number | null): void {
    const code = Number(reply[0]);
    if (code === -1) throw new LostLease(String(reply[1] ?? ''));
    if (code < 0) throw new Error(`Redis refused a write out of turn (it expected call ${String(reply[1])})`);
    this.written += code;
    this.on.written(code);
    for (let k = 0; k < ids.length; k += 1) if (ids[k] !== '') this.recent.add(ids[k]!, seconds[k]!);
    if (readThrough !== null) {
      this.position = Math.max(this.position ?? 0, readThrough);
      this.recent.prune(readThrough);
    }
  }
}

/**
 * The names of each record as JSON ('' when it names nothing). Waits for the server at most
 * the resolver's budget once for them all (prefetch); what is not known by then is a short
 * id (the look-up goes on, and later events get the name): a slow Kitsu never holds the
 * bridge longer than that.
 */
async function namesOf(resolver: NameResolver, records: readonly EventRecord[]): Promise<string[]> {
  await resolver.prefetch(records);
  const out: string[] = [];
  for (const record of records) {
    const { names } = resolver.resolveNow(record) ?? (await resolver.resolve(record, { waitMs: 0 }));
    const text = JSON.stringify(names);
    out.push(text === '{}' ? '' : text);
  }
  return out;
}

function pairs(flat: unknown[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}
