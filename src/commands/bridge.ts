/** `kitsu-tail bridge redis://HOST:PORT/DB [PATTERN...]`: see src/bridge/writer.ts. */
import { bridgeQueryId, planBridge, type BridgePlan } from '../bridge/plan.js';
import type { Context, PlanContext } from '../context.js';
import type { BridgeOptions } from '../options.js';

export function plan(ctx: PlanContext, args: string[], options: BridgeOptions): BridgePlan {
  const [url, ...patterns] = args;
  return planBridge(ctx.clock.now(), url!, patterns, options);
}

export async function run(ctx: Context, plan: BridgePlan): Promise<void> {
  const { openSession } = await import('../kitsu/session.js');
  const { loadDirectory } = await import('../kitsu/directory.js');
  const { connectRedis } = await import('../bridge/redis.js');
  const { busKeys } = await import('../bridge/keys.js');
  const { runBridge } = await import('../bridge/writer.js');
  const { reporterFor } = await import('../output/reporter.js');
  const { openWhenUp } = await import('../listen/start.js');
  const { openNameResolver } = await import('../kitsu/names.js');
  const { sleep } = await import('../core/sleep.js');
  const { KITSU_NOT_UP, outageReportFor } = await import('../output/outage.js');
  const reporter = reporterFor(ctx);
  if (plan.people.notice) reporter.warn(plan.people.notice);
  // A service at boot may start before Kitsu: wait for it with the stream's back-off.
  const session = await openWhenUp(() => openSession(ctx, { fresh: true }), {
    reporter,
    outage: outageReportFor(ctx, reporter, KITSU_NOT_UP),
    sleep: (ms) => sleep(ms, ctx.signal),
    aborted: () => ctx.signal.aborted,
  }).catch((error: unknown) => {
    throw ctx.signal.aborted ? ctx.signal.reason : error;
  });
  try {
    const needsDirectory = plan.projects.length > 0 || plan.people.by.length > 0;
    const directory = needsDirectory ? await loadDirectory(session, { signal: ctx.signal }) : undefined;
    const projectIds = plan.projects.length > 0 ? await directory!.resolveProjects(plan.projects) : undefined;
    const { by, flags } = plan.people;
    const personIds = by.length > 0 ? await directory!.resolvePeople(by, flags.by) : undefined;
    const link = await connectRedis(plan.target, { reporter, signal: ctx.signal });
    const names = plan.names ? openNameResolver(ctx.env, session) : undefined;
    try {
      await runBridge({
        link,
        keys: busKeys(plan.stream),
        where: plan.target.display,
        session,
        query: { filter: plan.filter, onlyFiles: plan.onlyFiles, projectIds, personIds },
        queryId: bridgeQueryId(plan, projectIds, personIds),
        since: plan.since,
        maxLen: plan.maxLen,
        leaseMs: plan.leaseMs,
        reporter,
        signal: ctx.signal,
        clock: ctx.clock,
        ...(names ? { names } : {}),
      });
    } finally {
      await names?.close();
      await link.close();
    }
    if (ctx.signal.aborted) throw ctx.signal.reason;
  } finally {
    await session.close();
  }
}
