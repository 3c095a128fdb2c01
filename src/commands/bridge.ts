import type { Context } from '../context.js';
import { bridgeQueryId, planBridge } from '../bridge/plan.js';
import { busKeys } from '../bridge/keys.js';
import { connectRedis } from '../bridge/redis.js';
import { runBridge } from '../bridge/writer.js';
import { loadDirectory } from '../kitsu/directory.js';
import { openSession } from '../kitsu/session.js';
import { reporterFor } from '../output/reporter.js';

/** `kitsu-tail bridge redis://HOST:PORT/DB [PATTERN...]`: see src/bridge/writer.ts. */
export default async function bridge(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void> {
  const [url, ...patterns] = args;
  const plan = planBridge(ctx.clock.now(), url!, patterns, options);
  const reporter = reporterFor(ctx);
  const session = await openSession(ctx);
  try {
    const needsDirectory = plan.projects.length > 0 || plan.people.length > 0;
    const directory = needsDirectory ? await loadDirectory(session, { signal: ctx.signal }) : undefined;
    const projectIds = plan.projects.length > 0 ? await directory!.resolveProjects(plan.projects) : undefined;
    const personIds = plan.people.length > 0 ? await directory!.resolvePeople(plan.people) : undefined;
    const link = await connectRedis(plan.target, { reporter, signal: ctx.signal });
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
      });
    } finally {
      await link.close();
    }
    if (ctx.signal.aborted) throw ctx.signal.reason;
  } finally {
    await session.close();
  }
}
