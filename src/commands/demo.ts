/**
 * `kitsu-tail demo`: a sandbox in this process and `listen` against it, so that a newcomer
 * sees the tool work offline within seconds. It never reads or writes the saved profiles: the
 * session is a bot token of the sandbox, held in memory for this run only.
 */
import type { Context } from '../context.js';
import { openSession } from '../kitsu/session.js';
import { planListen, runListen } from '../listen/run.js';
import { reporterFor } from '../output/reporter.js';
import type { SandboxOptions } from '../sandbox/types.js';

const DEMO_RATE = 2;
const DEMO_HISTORY = 200;

export default async function demo(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void> {
  const plan = planListen(ctx, args, options);
  const reporter = reporterFor(ctx);
  const sandboxOptions: SandboxOptions = {
    port: (options.port as number | undefined) ?? 0,
    rate: (options.rate as number | undefined) ?? DEMO_RATE,
    events: (options.events as number | undefined) ?? DEMO_HISTORY,
  };
  if (options.seed !== undefined) sandboxOptions.seed = options.seed as number;
  if (typeof options.emulate === 'string') sandboxOptions.emulate = options.emulate;

  const { startSandbox } = await import('../sandbox/index.js');
  const sandbox = await startSandbox(sandboxOptions);
  try {
    const bot = sandbox.control.createBot('admin');
    reporter.info(
      `demo: a Kitsu sandbox (Zou ${sandbox.version}) runs in this process at ${sandbox.url}, ` +
        `making ${sandboxOptions.rate} events a second; listening to it as a bot. Press Ctrl-C to stop.`,
    );
    reporter.info(`demo: the same flags work against a real server with \`kitsu-tail login\` then \`kitsu-tail listen\``);
    // A session of its own: the environment route of openSession, which touches no profile.
    const demoCtx: Context = {
      ...ctx,
      env: { ...ctx.env, KITSU_HOST: sandbox.url, KITSU_TOKEN: bot.token, KITSU_EVENT_HOST: undefined },
      globals: { ...ctx.globals, profile: undefined, insecure: false, caFile: undefined },
    };
    const session = await openSession(demoCtx);
    try {
      // The sandbox's ids die with it: nothing worth keeping in the profile's name cache.
      await runListen(ctx, session, plan, { nameCache: false });
    } finally {
      await session.close();
    }
  } finally {
    await sandbox.close();
  }
}
