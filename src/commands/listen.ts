/** `kitsu-tail listen [PATTERN...]`: see src/listen/follow.ts for how nothing gets lost. */
import type { Context } from '../context.js';
import { openSession } from '../kitsu/session.js';
import { planListen, runListen, type ListenPlan } from '../listen/run.js';

export const plan = planListen;

export async function run(ctx: Context, plan: ListenPlan): Promise<void> {
  const session = await openSession(ctx);
  try {
    await runListen(ctx, session, plan);
  } finally {
    await session.close();
  }
}
