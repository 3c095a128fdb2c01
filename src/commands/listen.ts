import type { Context } from '../context.js';
import { openSession } from '../kitsu/session.js';
import { planListen, runListen } from '../listen/run.js';

/** `kitsu-tail listen [PATTERN...]`: see src/listen/follow.ts for how nothing gets lost. */
export default async function listen(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void> {
  const plan = planListen(ctx, args, options);
  const session = await openSession(ctx);
  try {
    await runListen(ctx, session, plan);
  } finally {
    await session.close();
  }
}
