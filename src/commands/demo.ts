/**
 * `kitsu-tail demo`: a sandbox in this process and `listen` against it, so that a newcomer
 * sees the tool work offline within seconds. It never reads or writes the saved profiles: the
 * session is a bot token of the sandbox, held in memory for this run only.
 */
import type { Context, PlanContext } from '../context.js';
import { openSession } from '../kitsu/session.js';
import { planListen, runListen, type ListenPlan } from '../listen/run.js';
import { DEMO_DEFAULTS, type DemoOptions } from '../options.js';
import { reporterFor } from '../output/reporter.js';
import { planSandbox, type SandboxPlan } from './sandbox.js';

export interface DemoPlan {
  listen: ListenPlan;
  sandbox: SandboxPlan;
}

export function plan(ctx: PlanContext, args: string[], options: DemoOptions): DemoPlan {
  return {
    listen: planListen(ctx, args, options, 'demo'),
    sandbox: planSandbox(options, DEMO_DEFAULTS),
  };
}

export async function run(ctx: Context, { listen: listenPlan, sandbox: sandboxOptions }: DemoPlan): Promise<void> {
  const reporter = reporterFor(ctx);
  const { startSandbox } = await import('../sandbox/index.js');
  const sandbox = await startSandbox(sandboxOptions);
  try {
    const bot = sandbox.control.createBot('admin');
    reporter.info(
      `demo: a Kitsu sandbox (Zou ${sandbox.version}) runs in this process at ${sandbox.url}, ` +
        `making ${sandboxOptions.rate} events a second; listening to it as a bot. Press Ctrl-C to stop.`,
    );
    reporter.info(
      `demo: the same flags work against a real server with \`kitsu-tail login\` then \`kitsu-tail listen\``,
    );
    // A session of its own: the environment route of openSession, which touches no profile.
    const demoCtx: Context = {
      ...ctx,
      env: { ...ctx.env, KITSU_HOST: sandbox.url, KITSU_TOKEN: bot.token, KITSU_EVENT_HOST: undefined },
      globals: { ...ctx.globals, profile: undefined, insecure: false, caFile: undefined },
    };
    const session = await openSession(demoCtx);
    try {
      // The sandbox's ids die with it: nothing worth keeping in the profile's name cache.
      await runListen(ctx, session, listenPlan, { nameCache: false });
    } finally {
      await session.close();
    }
  } finally {
    await sandbox.close();
  }
}
