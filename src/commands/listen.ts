/**
 * `kitsu-tail listen [PATTERN...]`: see src/listen/follow.ts for how nothing gets lost. With
 * `--from redis://…` it reads the bus that `bridge` fills instead (src/bridge/listen-from.ts),
 * and needs no Kitsu login.
 */
import { planBusListen, type BusListenPlan } from '../bridge/plan.js';
import type { Context, PlanContext } from '../context.js';
import { openSession } from '../kitsu/session.js';
import { planListen, runListen, type ListenPlan } from '../listen/run.js';
import type { ListenOptions } from '../options.js';

/** The listen plan, and with --from the bus to read instead of Kitsu. */
export type ListenCommandPlan = ListenPlan & { bus?: BusListenPlan };

export function plan(ctx: PlanContext, args: string[], options: ListenOptions): ListenCommandPlan {
  const listen = planListen(ctx, args, options);
  const bus = planBusListen(options, listen);
  return bus ? { ...listen, bus } : listen;
}

export async function run(ctx: Context, plan: ListenCommandPlan): Promise<void> {
  if (plan.bus) {
    const { runBusListen } = await import('../bridge/listen-from.js');
    await runBusListen(ctx, plan.bus);
    return;
  }
  const session = await openSession(ctx);
  try {
    await runListen(ctx, session, plan);
  } finally {
    await session.close();
  }
}
