/**
 * `listen --from redis://…`: the listen output (formats, --exec, --count, --until,
 * --idle-timeout, the filters) fed by the bus instead of Kitsu. In a consumer group an entry
 * is acknowledged once it was printed and its --exec command exited 0.
 */
import { hostname } from 'node:os';
import type { EventRecord } from '../core/record.js';
import type { Context } from '../context.js';
import { IncompleteError, InterruptedError } from '../errors.js';
import { createExecRunner } from '../listen/exec.js';
import { reporterFor } from '../output/reporter.js';
import type { NamedEventRecord, RecordNamer } from '../output/types.js';
import { createRecordWriter } from '../output/writer.js';
import { busKeys } from './keys.js';
import { runBusReader } from './reader.js';
import type { BusListenPlan } from './plan.js';
import { connectRedis } from './redis.js';

export interface BusListenSummary {
  events: number;
  endedBy: 'count' | 'idle' | 'until' | 'signal';
}

export function defaultConsumerName(): string {
  return `${hostname()}-${process.pid}`;
}

export async function runBusListen(ctx: Context, plan: BusListenPlan): Promise<BusListenSummary> {
  const reporter = reporterFor(ctx);
  // The names a bridge run with --names put in the entries (no Kitsu here to ask): the table
  // shows them, --names gives CSV its names.* columns, JSON carries them as the record's `names`.
  const entryNames: RecordNamer = {
    names: async (record) => (record as NamedEventRecord).names ?? {},
    namesNow: (record) => (record as NamedEventRecord).names ?? {},
  };
  const writer = createRecordWriter(ctx, { namer: entryNames, attachNames: plan.names });
  const keys = busKeys(plan.stream);
  let pendingExec: ((ok: boolean) => void) | null = null;
  const runner = plan.exec
    ? createExecRunner(ctx, plan.exec, reporter, undefined, undefined, (_record, ok) => {
        pendingExec?.(ok);
        pendingExec = null;
      })
    : null;
  const projects = plan.projectIds.length ? new Set(plan.projectIds) : null;
  const people = plan.personIds.length ? new Set(plan.personIds) : null;
  const accept = (record: EventRecord): boolean => {
    if (!plan.filter.matches(record.name)) return false;
    if (projects && (record.project_id === null || !projects.has(record.project_id))) return false;
    if (people) {
      const person = record.data.person_id;
      if (typeof person !== 'string' || !people.has(person)) return false;
    }
    return true;
  };

  let events = 0;
  let lastEventAt = Date.now();
  let endedBy: BusListenSummary['endedBy'] | null = null;
  const shouldStop = (): boolean => {
    if (endedBy !== null) return true;
    if (plan.count !== undefined && events >= plan.count) endedBy = 'count';
    else if (plan.untilMs !== undefined && Date.now() >= plan.untilMs) endedBy = 'until';
    else if (plan.idleTimeoutMs !== undefined && Date.now() - lastEventAt >= plan.idleTimeoutMs) endedBy = 'idle';
    return endedBy !== null;
  };
  const aborted = new Promise<false>((resolve) => {
    if (ctx.signal.aborted) resolve(false);
    ctx.signal.addEventListener('abort', () => resolve(false), { once: true });
  });
  const handle = async (record: EventRecord): Promise<boolean> => {
    await writer.write(record);
    let ok = true;
    if (runner) {
      const done = new Promise<boolean>((resolve) => (pendingExec = resolve));
      runner.push(record);
      ok = await Promise.race([done, aborted]);
    }
    events += 1;
    lastEventAt = Date.now();
    return ok;
  };

  const link = await connectRedis(plan.from, { reporter, signal: ctx.signal });
  const group = plan.group
    ? {
        name: plan.group.name,
        consumer: plan.group.consumer ?? defaultConsumerName(),
        reclaimAfterMs: plan.group.reclaimAfterMs,
      }
    : undefined;
  reporter.info(
    `reading ${keys.stream} at ${plan.from.display}` +
      (group ? ` as ${group.consumer} in the consumer group ${group.name}` : '') +
      '; press Ctrl-C to stop',
  );
  try {
    await runBusReader({
      link,
      keys,
      accept,
      ...(plan.sinceMs !== undefined ? { sinceMs: plan.sinceMs } : {}),
      ...(group ? { group } : {}),
      handle,
      shouldStop,
      reporter,
      signal: ctx.signal,
    });
  } finally {
    runner?.stop();
    await link.close();
  }
  if (ctx.signal.aborted) {
    if (ctx.signal.reason instanceof InterruptedError)
      reporter.info(`stopped: ${events} event${events === 1 ? '' : 's'}`);
    throw ctx.signal.reason;
  }
  await writer.end();
  // Set by shouldStop, which TypeScript cannot see run.
  const ending = (endedBy as BusListenSummary['endedBy'] | null) ?? 'signal';
  if ((ending === 'idle' || ending === 'until') && plan.count !== undefined && events < plan.count) {
    const by = ending === 'idle' ? '--idle-timeout' : '--until';
    throw new IncompleteError(`${by} ended the stream after ${events} of ${plan.count} events`);
  }
  return { events, endedBy: ending };
}
