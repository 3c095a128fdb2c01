/**
 * Reading the bus (`listen --from redis://…`): the stream's entries in its own order, as
 * event records, with no Kitsu credentials.
 *
 * - Alone: XREAD from the newest entry there is at the start (or from --since, a time the
 *   stream ids carry), blocking a second at a time so that Ctrl-C and timers are noticed.
 * - In a consumer group (`--group NAME`): XREADGROUP gives each entry to one member, which
 *   acknowledges it (XACK) only once it was handled (printed, and `--exec` exited 0). A member
 *   first takes back what it left pending in an earlier life under the same name, and now and
 *   then claims (XAUTOCLAIM) entries that any member left pending longer than the reclaim
 *   time: a crashed member's entries are handled again by another. At least once, and exactly
 *   once when nothing crashed. Entries the filters do not admit are acknowledged unhandled.
 */
import { backoffDelay } from '../core/backoff.js';
import type { EventRecord } from '../core/record.js';
import { sleep } from '../core/sleep.js';
import type { Reporter } from '../output/reporter.js';
import { pairsToObject, recordFromEntry } from './entry.js';
import type { BusKeys } from './keys.js';
import { fatalRedisError, type RedisLink } from './redis.js';

/** Entries asked for at once. */
const READ_COUNT = 100;
/**
 * In a group, one entry at a time: an entry's idle time, which the reclaim goes by, runs from
 * its delivery, so entries waiting in a batch behind a slow --exec would look abandoned and
 * be handled twice. One at a time, only a command slower than --reclaim-after can be.
 */
const GROUP_READ_COUNT = 1;
/** How long one blocking read waits: the most a stop or a timer waits for it. */
const BLOCK_MS = 1_000;
const MAX_SEQUENCE = '18446744073709551615';

export interface GroupSettings {
  name: string;
  consumer: string;
  /** Entries pending this long with any member are claimed by this one. */
  reclaimAfterMs: number;
}

export interface BusReadSettings {
  link: RedisLink;
  keys: BusKeys;
  /** Which records to hand on (the others are skipped, or acknowledged in a group). */
  accept(record: EventRecord): boolean;
  /** Start at entries written from this time on (ms); default: new entries only. */
  sinceMs?: number;
  group?: GroupSettings;
  /** Handles one record; true when it succeeded (a group then acknowledges it). */
  handle(record: EventRecord): Promise<boolean>;
  /** Asked after each read whether to stop: --count, --until, --idle-timeout. */
  shouldStop(): boolean;
  reporter: Reporter;
  signal: AbortSignal;
}

type Entry = [string, unknown[]];

/** A stream id just before `ms`: XREAD and XGROUP take ids exclusively / inclusively. */
export function idBefore(ms: number): string {
  return ms <= 0 ? '0-0' : `${ms - 1}-${MAX_SEQUENCE}`;
}

export async function runBusReader(settings: BusReadSettings): Promise<void> {
  const reader = new BusReader(settings);
  await reader.run();
}

class BusReader {
  private warnedForeign = false;
  private failures = 0;

  constructor(private readonly s: BusReadSettings) {}

  private call(args: string[]): Promise<unknown> {
    return this.s.link.call(this.s.keys.stream, args);
  }

  async run(): Promise<void> {
    const { group } = this.s;
    let lastId: string | null = null;
    let groupReady = false;
    let ownPendingDone = false;
    let ownPendingAfter = '0';
    let nextReclaimAt = 0;
    while (!this.s.signal.aborted && !this.s.shouldStop()) {
      try {
        if (!group) {
          lastId ??= await this.startId();
          const reply = await this.call([
            'XREAD',
            'COUNT',
            String(READ_COUNT),
            'BLOCK',
            String(BLOCK_MS),
            'STREAMS',
            this.s.keys.stream,
            lastId,
          ]);
          for (const [id, flat] of entriesOf(reply)) {
            lastId = id;
            const record = this.decode(id, flat);
            if (record && this.s.accept(record)) await this.s.handle(record);
            if (this.s.signal.aborted || this.s.shouldStop()) return;
          }
        } else {
          if (!groupReady) {
            await this.createGroup(group);
            groupReady = true;
          }
          if (!ownPendingDone) {
            // What this member took in an earlier life and never acknowledged.
            const mine = entriesOf(
              await this.call([
                'XREADGROUP',
                'GROUP',
                group.name,
                group.consumer,
                'COUNT',
                String(GROUP_READ_COUNT),
                'STREAMS',
                this.s.keys.stream,
                ownPendingAfter,
              ]),
            );
            if (mine.length === 0) ownPendingDone = true;
            else {
              // Past it, whether or not it was handled: a failed one waits for the reclaim.
              ownPendingAfter = mine[mine.length - 1]![0];
              await this.handleInGroup(group, mine);
            }
            continue;
          }
          if (Date.now() >= nextReclaimAt) {
            await this.reclaim(group);
            nextReclaimAt = Date.now() + Math.max(100, Math.floor(group.reclaimAfterMs / 2));
          }
          const reply = await this.call([
            'XREADGROUP',
            'GROUP',
            group.name,
            group.consumer,
            'COUNT',
            String(GROUP_READ_COUNT),
            'BLOCK',
            String(BLOCK_MS),
            'STREAMS',
            this.s.keys.stream,
            '>',
          ]);
          await this.handleInGroup(group, entriesOf(reply));
        }
        this.failures = 0;
      } catch (error) {
        if (this.s.signal.aborted) return;
        if (/^NOGROUP/.test(error instanceof Error ? error.message : '')) {
          // The group (or the stream) was deleted under us: make it again.
          groupReady = false;
          continue;
        }
        const fatal = fatalRedisError(error);
        if (fatal) throw fatal;
        const delay = Math.max(100, backoffDelay(this.failures++, { baseMs: 500, capMs: 5_000 }));
        const message = error instanceof Error ? error.message : String(error);
        if (this.failures === 1)
          this.s.reporter.warn(`could not read ${this.s.keys.stream} from Redis (${message}); retrying`);
        await sleep(delay, this.s.signal);
      }
    }
  }

  /** Where reading alone starts: --since, else after the newest entry there is now. */
  private async startId(): Promise<string> {
    if (this.s.sinceMs !== undefined) return idBefore(this.s.sinceMs);
    const newest = (await this.call(['XREVRANGE', this.s.keys.stream, '+', '-', 'COUNT', '1'])) as Entry[];
    return newest[0]?.[0] ?? '0-0';
  }

  private async createGroup(group: GroupSettings): Promise<void> {
    // A new group starts at --since, or with the entries written from now on.
    const start = this.s.sinceMs !== undefined ? idBefore(this.s.sinceMs) : '$';
    try {
      await this.call(['XGROUP', 'CREATE', this.s.keys.stream, group.name, start, 'MKSTREAM']);
      this.s.reporter.info(`created the consumer group ${group.name} on ${this.s.keys.stream}`);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('BUSYGROUP')) throw error;
      if (this.s.sinceMs !== undefined) {
        this.s.reporter.info(
          `the consumer group ${group.name} exists: it goes on from where it is, --since applies to a new group only`,
        );
      }
    }
  }

  /** Claims what any member left pending longer than the reclaim time, and handles it. */
  private async reclaim(group: GroupSettings): Promise<void> {
    let cursor = '0-0';
    do {
      const reply = (await this.call([
        'XAUTOCLAIM',
        this.s.keys.stream,
        group.name,
        group.consumer,
        String(group.reclaimAfterMs),
        cursor,
        'COUNT',
        String(GROUP_READ_COUNT),
      ])) as [string, (Entry | null)[]];
      cursor = String(reply[0]);
      const claimed = (reply[1] ?? []).filter((e): e is Entry => Array.isArray(e));
      if (claimed.length > 0) {
        this.s.reporter.info(
          `took over ${claimed.length} entr${claimed.length === 1 ? 'y' : 'ies'} left pending by another member of ${group.name}`,
        );
        await this.handleInGroup(group, claimed);
      }
      if (this.s.signal.aborted || this.s.shouldStop()) return;
    } while (cursor !== '0-0');
  }

  private async handleInGroup(group: GroupSettings, entries: Entry[]): Promise<void> {
    for (const [id, flat] of entries) {
      if (this.s.signal.aborted || this.s.shouldStop()) return;
      const record = this.decode(id, flat);
      const handled = record && this.s.accept(record) ? await this.s.handle(record) : true;
      // Not acknowledged: it stays pending and is claimed again after the reclaim time.
      if (handled && !this.s.signal.aborted) await this.call(['XACK', this.s.keys.stream, group.name, id]);
    }
  }

  private decode(id: string, flat: unknown[]): EventRecord | null {
    const record = Array.isArray(flat) ? recordFromEntry(pairsToObject(flat)) : null;
    if (!record && !this.warnedForeign) {
      this.warnedForeign = true;
      this.s.reporter.warn(
        `${this.s.keys.stream} holds entries that are not Kitsu events (the first: ${id}); skipping them`,
      );
    }
    return record;
  }
}

/** The entries of an XREAD/XREADGROUP reply for one stream (RESP2: [[key, [[id, fields]…]]]). */
function entriesOf(reply: unknown): Entry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const [, entries] = reply[0] as [string, Entry[]];
  return (entries ?? []).filter((e): e is Entry => Array.isArray(e) && Array.isArray(e[1]));
}
