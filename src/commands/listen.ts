/**
 * `kitsu-tail listen [PATTERN...]`: see src/listen/follow.ts for how nothing gets lost. With
 * `--from redis://…` it reads the bus that `bridge` fills instead (src/bridge/listen-from.ts),
 * and needs no Kitsu login.
 */
import { planBusListen, type BusListenPlan } from '../bridge/plan.js';
import type { Context, PlanContext } from '../context.js';
import { openSession } from '../kitsu/session.js';
import { sleep } from '../core/sleep.js';
import { planListen, runListen, type ListenPlan } from '../listen/run.js';
import { openWhenUp } from '../listen/start.js';
import type { ListenOptions } from '../options.js';
import { KITSU_NOT_UP, outageReportFor } from '../output/outage.js';
import { reporterFor } from '../output/reporter.js';

/** The listen plan, and with --from the bus to read instead of Kitsu. */
export type ListenCommandPlan = ListenPlan & { bus?: BusListenPlan };

export function plan(ctx: PlanContext, args: string[], options: ListenOptions): ListenCommandPlan {
  const listen = planListen(ctx, args, options);
  const bus = planBusListen(options, listen);
  return bus ? { ...listen, bus } : listen;
}

export async function run(ctx: Context, plan: ListenCommandPlan): Promise<void> {
  if (plan.bus) {
    // runListen says it for Kitsu; the bus reader takes --about too.
    if (plan.people.notice) reporterFor(ctx).warn(plan.people.notice);
    const { runBusListen } = await import('../bridge/listen-from.js');
    await runBusListen(ctx, plan.bus);
    return;
  }
  // Started before Kitsu is up (a service at boot): wait for it as for a reconnect.
  const session = await openWhenUp(() => openSession(ctx, { fresh: true }), {
    ...(plan.maxReconnects !== undefined ? { maxReconnects: plan.maxReconnects } : {}),
    ...waitReporting(ctx),
    sleep: (ms) => sleep(ms, ctx.signal),
    aborted: () => ctx.signal.aborted,
  }).catch((error: unknown) => {
    // Ctrl-C while waiting for Kitsu is an interruption, not a network failure.
    throw ctx.signal.aborted ? ctx.signal.reason : error;
  });
  try {
    await runListen(ctx, session, plan);
  } finally {
    await session.close();
  }
}

/** How the wait for Kitsu at the start is told: one line when it is not up, one when it is. */
function waitReporting(ctx: Context) {
  const reporter = reporterFor(ctx);
  return { reporter, outage: outageReportFor(ctx, reporter, KITSU_NOT_UP) };
}
