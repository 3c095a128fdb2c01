import type { Context } from '../context.js';
import { openSession } from '../kitsu/session.js';
import { planListen, runListen } from '../listen/run.js';

/**
 * `kitsu-tail listen [PATTERN...]`: see src/listen/follow.ts for how nothing gets lost. With
 * `--from redis://…` it reads the bus the bridge fills instead (src/bridge/listen-from.ts),
 * and needs no Kitsu login.
 */
export default async function listen(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void> {
  const plan = planListen(ctx, args, options);
  if (options.from !== undefined) {
    const { planBusListen } = await import('../bridge/plan.js');
    const { runBusListen } = await import('../bridge/listen-from.js');
    await runBusListen(ctx, planBusListen(ctx.clock.now(), options, plan));
    return;
  }
  const session = await openSession(ctx);
  try {
    await runListen(ctx, session, plan);
  } finally {
    await session.close();
  }
}
