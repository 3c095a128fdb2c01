/**
 * The flags of `bridge` and of `listen --from`, checked: every usage error is found before
 * anything connects. Pure.
 */
import { describeQuery } from '../core/checkpoint.js';
import { parsePatterns, type EventFilter } from '../core/patterns.js';
import { planPeople, type PersonPlan } from '../core/person-filter.js';
import { parseDuration, parseTime } from '../core/time.js';
import { UsageError } from '../errors.js';
import type { ListenPlan } from '../listen/run.js';
import { DEFAULT_STREAM } from './keys.js';
import { parseRedisUrl, type RedisTarget } from './redis.js';

export const DEFAULT_LEASE_MS = 10_000;

export interface BridgePlan {
  target: RedisTarget;
  stream: string;
  filter: EventFilter;
  /** Names or ids, resolved once connected to Kitsu. */
  projects: string[];
  /** --by (or the deprecated --person): who acted, the log's user_id (src/core/person-filter.ts). */
  people: PersonPlan;
  onlyFiles: boolean;
  /** --names: each entry gets the names of what its event is about. */
  names: boolean;
  /** Where a new stream starts, in seconds; null: the start of the log. */
  since: number | null;
  maxLen: number;
  leaseMs: number;
}

function duration(text: string, flag: string, example: string): number {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0)
    throw new UsageError(`${flag}: cannot read '${text}' as a duration`, `such as ${example}`);
  return ms;
}

function streamName(value: string | undefined): string {
  if (value === undefined) return DEFAULT_STREAM;
  if (value.trim() === '') throw new UsageError('--stream needs a key name', `such as ${DEFAULT_STREAM}`);
  return value;
}

export interface BridgeFlags {
  stream?: string;
  maxLen?: number;
  since?: string;
  project?: string[];
  by?: string[];
  person?: string[];
  onlyFiles?: true;
  names?: true;
  lease?: string;
}

export function planBridge(nowMs: number, url: string, patterns: string[], options: BridgeFlags): BridgePlan {
  const plan: BridgePlan = {
    target: parseRedisUrl(url),
    stream: streamName(options.stream),
    filter: parsePatterns(patterns),
    projects: options.project ?? [],
    people: planPeople('bridge', { by: options.by, person: options.person }),
    onlyFiles: options.onlyFiles === true,
    names: options.names === true,
    since: null,
    maxLen: options.maxLen ?? 0,
    leaseMs: options.lease !== undefined ? duration(options.lease, '--lease', '10s or 1m') : DEFAULT_LEASE_MS,
  };
  if (plan.leaseMs < 500)
    throw new UsageError(
      '--lease must be at least 500ms',
      'such as 10s: a standby takes over that long after the leader stops',
    );
  if (options.since !== undefined) {
    const since = parseTime(options.since, nowMs, '--since');
    plan.since = Math.floor(since.getTime() / 1000);
  }
  return plan;
}

/** What the bridge's filters are, canonical: bridges with other filters refuse the stream. */
export function bridgeQueryId(
  plan: BridgePlan,
  projectIds: string[] | undefined,
  personIds: string[] | undefined,
): string {
  return describeQuery({
    include: plan.filter.include,
    exclude: plan.filter.exclude,
    onlyFiles: plan.onlyFiles,
    projectIds,
    personIds,
  });
}

/** How long an entry may stay pending with a member before another claims it (default). */
export const DEFAULT_RECLAIM_MS = 60_000;

export interface BusListenPlan {
  from: RedisTarget;
  stream: string;
  group?: { name: string; consumer?: string; reclaimAfterMs: number };
  filter: EventFilter;
  /** Project ids (no Kitsu to turn names into ids). */
  projectIds: string[];
  /** Ids of the person an event is about (`data.person_id`), as listen --about. */
  personIds: string[];
  sinceMs?: number;
  untilMs?: number;
  count?: number;
  idleTimeoutMs?: number;
  exec?: string;
  /** --names: CSV gets names.* columns from the entries' `names` (JSON shows them anyway). */
  names: boolean;
}

/** The bus flags of `listen`, as they arrive. */
export interface BusListenFlags {
  from?: string;
  stream?: string;
  group?: string;
  consumer?: string;
  reclaimAfter?: string;
  forwardTo?: string;
}

/**
 * The bus part of `listen --from URL`, beside the listen flags it shares; undefined without
 * --from (whose own flags are then refused).
 */
export function planBusListen(
  options: BusListenFlags,
  listen: Pick<
    ListenPlan,
    'filter' | 'projects' | 'people' | 'since' | 'until' | 'count' | 'idleTimeoutMs' | 'exec' | 'names'
  >,
): BusListenPlan | undefined {
  if (options.from === undefined) {
    const stray = (['stream', 'group', 'consumer', 'reclaimAfter'] as const).find((key) => options[key] !== undefined);
    if (stray) {
      const flag = `--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new UsageError(`${flag} reads the Redis bus and needs --from`, 'add --from redis://HOST:PORT/DB');
    }
    return undefined;
  }
  if (options.forwardTo !== undefined)
    throw new UsageError(
      '--forward-to does not work with --from yet',
      'use --exec with curl, or listen to Kitsu itself',
    );
  const plan: BusListenPlan = {
    from: parseRedisUrl(options.from, '--from'),
    stream: streamName(options.stream),
    filter: listen.filter,
    projectIds: listen.projects,
    personIds: listen.people.about,
    names: listen.names === true,
  };
  if (options.group !== undefined) {
    if (options.group.trim() === '') throw new UsageError('--group needs a name', 'such as --group render-farm');
    plan.group = {
      name: options.group,
      reclaimAfterMs:
        options.reclaimAfter !== undefined
          ? duration(options.reclaimAfter, '--reclaim-after', '1m or 30s')
          : DEFAULT_RECLAIM_MS,
    };
    if (options.consumer !== undefined) plan.group.consumer = options.consumer;
  } else if (options.consumer !== undefined || options.reclaimAfter !== undefined) {
    throw new UsageError(
      `${options.consumer !== undefined ? '--consumer' : '--reclaim-after'} needs --group`,
      'add --group NAME to share the work with other readers',
    );
  }
  if (listen.since) plan.sinceMs = listen.since.getTime();
  if (listen.until) plan.untilMs = listen.until.getTime();
  if (listen.count !== undefined) plan.count = listen.count;
  if (listen.idleTimeoutMs !== undefined) plan.idleTimeoutMs = listen.idleTimeoutMs;
  if (listen.exec !== undefined) plan.exec = listen.exec;
  return plan;
}
