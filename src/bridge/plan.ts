/**
 * The flags of `bridge` and of `listen --from`, checked: every usage error is found before
 * anything connects. Pure.
 */
import { describeQuery } from '../core/checkpoint.js';
import { parsePatterns, type EventFilter } from '../core/patterns.js';
import { parseDuration, parseTime } from '../core/time.js';
import { UsageError } from '../errors.js';
import { DEFAULT_STREAM } from './keys.js';
import { DEFAULT_RECLAIM_MS, type BusListenPlan } from './listen-from.js';
import { parseRedisUrl, type RedisTarget } from './redis.js';

export const DEFAULT_LEASE_MS = 10_000;

export interface BridgePlan {
  target: RedisTarget;
  stream: string;
  filter: EventFilter;
  /** Names or ids, resolved once connected to Kitsu. */
  projects: string[];
  people: string[];
  onlyFiles: boolean;
  /** Where a new stream starts, in seconds; null: the start of the log. */
  since: number | null;
  maxLen: number;
  leaseMs: number;
}

function duration(text: string, flag: string, example: string): number {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) throw new UsageError(`${flag}: cannot read '${text}' as a duration`, `such as ${example}`);
  return ms;
}

function streamName(value: unknown): string {
  if (value === undefined) return DEFAULT_STREAM;
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError('--stream needs a key name', `such as ${DEFAULT_STREAM}`);
  return value;
}

export function planBridge(nowMs: number, url: string, patterns: string[], options: Record<string, unknown>): BridgePlan {
  const plan: BridgePlan = {
    target: parseRedisUrl(url),
    stream: streamName(options.stream),
    filter: parsePatterns(patterns),
    projects: (options.project as string[] | undefined) ?? [],
    people: (options.person as string[] | undefined) ?? [],
    onlyFiles: Boolean(options.onlyFiles),
    since: null,
    maxLen: typeof options.maxLen === 'number' ? options.maxLen : 0,
    leaseMs: typeof options.lease === 'string' ? duration(options.lease, '--lease', '10s or 1m') : DEFAULT_LEASE_MS,
  };
  if (plan.leaseMs < 500) throw new UsageError('--lease must be at least 500ms', 'such as 10s: a standby takes over that long after the leader stops');
  if (typeof options.since === 'string') {
    const since = parseTime(options.since, nowMs, '--since');
    plan.since = Math.floor(since.getTime() / 1000);
  }
  return plan;
}

/** What the bridge's filters are, canonical: bridges with other filters refuse the stream. */
export function bridgeQueryId(plan: BridgePlan, projectIds: string[] | undefined, personIds: string[] | undefined): string {
  return describeQuery({ include: plan.filter.include, exclude: plan.filter.exclude, onlyFiles: plan.onlyFiles, projectIds, personIds });
}

/** The bus part of `listen --from URL`, next to the listen flags it shares. */
export function planBusListen(
  nowMs: number,
  options: Record<string, unknown>,
  listen: { filter: EventFilter; projects: string[]; people: string[]; since?: Date; until?: Date; count?: number; idleTimeoutMs?: number; exec?: string },
): BusListenPlan {
  if (options.forwardTo !== undefined) throw new UsageError('--forward-to does not work with --from yet', 'use --exec with curl, or listen to Kitsu itself');
  const plan: BusListenPlan = {
    from: parseRedisUrl(String(options.from), '--from'),
    stream: streamName(options.stream),
    filter: listen.filter,
    projectIds: listen.projects,
    personIds: listen.people,
  };
  if (options.group !== undefined) {
    const name = String(options.group);
    if (name.trim() === '') throw new UsageError('--group needs a name', 'such as --group render-farm');
    plan.group = {
      name,
      reclaimAfterMs: typeof options.reclaimAfter === 'string' ? duration(options.reclaimAfter, '--reclaim-after', '1m or 30s') : DEFAULT_RECLAIM_MS,
    };
    if (typeof options.consumer === 'string') plan.group.consumer = options.consumer;
  } else if (options.consumer !== undefined || options.reclaimAfter !== undefined) {
    throw new UsageError('--consumer and --reclaim-after need --group', 'add --group NAME to share the work with other readers');
  }
  if (listen.since) plan.sinceMs = listen.since.getTime();
  if (listen.until) plan.untilMs = listen.until.getTime();
  if (listen.count !== undefined) plan.count = listen.count;
  if (listen.idleTimeoutMs !== undefined) plan.idleTimeoutMs = listen.idleTimeoutMs;
  if (listen.exec !== undefined) plan.exec = listen.exec;
  void nowMs;
  return plan;
}
