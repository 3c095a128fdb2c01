/** `kitsu-tail listen [PATTERN...]`: see src/listen/follow.ts for how nothing gets lost. */
import type { Context } from '../context.js';
import { openSession } from '../kitsu/session.js';
import { sleep } from '../core/sleep.js';
import { planListen, runListen, type ListenPlan } from '../listen/run.js';
import { openWhenUp } from '../listen/start.js';
import { reporterFor } from '../output/reporter.js';

export const plan = planListen;

export async function run(ctx: Context, plan: ListenPlan): Promise<void> {
  // Started before Kitsu is up (a service at boot): wait for it as for a reconnect.
  const session = await openWhenUp(() => openSession(ctx), {
    ...(plan.maxReconnects !== undefined ? { maxReconnects: plan.maxReconnects } : {}),
    reporter: reporterFor(ctx),
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
