/**
 * `kitsu-tail sandbox`: a local Kitsu stand-in on 127.0.0.1, to try the tool and test
 * pipelines offline. Prints where it listens and how to log in, then serves until Ctrl-C.
 */
import type { Context, PlanContext } from '../context.js';
import { UsageError } from '../errors.js';
import { SANDBOX_DEFAULTS, type SandboxCommandOptions } from '../options.js';
import { reporterFor } from '../output/reporter.js';
import type { SandboxOptions } from '../sandbox/types.js';
import { emulationOf } from '../sandbox/versions.js';
import { isKnownZou, knownZouText } from '../core/zou-versions.js';

export const DEFAULT_PORT = SANDBOX_DEFAULTS.port;

/** The sandbox flags with their defaults, checked. */
export type SandboxPlan = SandboxOptions & Required<Pick<SandboxOptions, 'port' | 'rate' | 'events'>>;

export function plan(_ctx: PlanContext, _args: string[], options: SandboxCommandOptions): SandboxPlan {
  return planSandbox(options, { ...SANDBOX_DEFAULTS, seed: 1 });
}

/** The sandbox flags over `defaults`; shared with `demo`. */
export function planSandbox(
  options: SandboxCommandOptions,
  defaults: { port: number; rate: number; events: number; seed?: number },
): SandboxPlan {
  const plan: SandboxPlan = {
    port: options.port ?? defaults.port,
    rate: options.rate ?? defaults.rate,
    events: options.events ?? defaults.events,
  };
  const seed = options.seed ?? defaults.seed;
  if (seed !== undefined) plan.seed = seed;
  if (options.state !== undefined) {
    if (options.state.trim() === '')
      throw new UsageError('--state needs a folder', 'such as --state ~/.cache/kitsu-sandbox');
    plan.state = options.state;
  }
  if (options.emulate !== undefined) {
    try {
      emulationOf(options.emulate);
    } catch {
      throw new UsageError(`--emulate takes a Zou version such as 1.0.62, not "${options.emulate}"`);
    }
    if (!isKnownZou(options.emulate)) {
      throw new UsageError(
        `--emulate ${options.emulate} is not a Zou version the sandbox knows`,
        `it knows ${knownZouText()}`,
      );
    }
    plan.emulate = options.emulate;
  }
  return plan;
}

export async function run(ctx: Context, sandboxOptions: SandboxPlan): Promise<void> {
  const reporter = reporterFor(ctx);
  const { startSandbox } = await import('../sandbox/index.js');
  ctx.signal.throwIfAborted();
  let server;
  try {
    server = await startSandbox(sandboxOptions);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new UsageError(
        `port ${sandboxOptions.port} on 127.0.0.1 is already in use`,
        'pick another with --port N, or --port 0 for a free one',
      );
    }
    throw error;
  }
  try {
    const { admin, manager, artist, totp } = server.users;
    const lines = [
      `Kitsu sandbox (Zou ${server.version}) listening on ${server.url}`,
      `  API:          ${server.apiUrl}`,
      `  event stream: ${server.url}/socket.io, namespace /events`,
      `  history:      ${sandboxOptions.events} events; live: ${sandboxOptions.rate} a second; seed ${sandboxOptions.seed}`,
      `  log in as:    ${admin.email} / ${admin.password} (admin)`,
      `                ${manager.email}, ${artist.email}, ${totp.email} (TOTP secret ${totp.totpSecret}) with the same password`,
      `  try:          echo ${admin.password} | kitsu-tail login --host ${server.url} --email ${admin.email} --password-stdin`,
      'Press Ctrl-C to stop.',
    ];
    for (const line of lines) reporter.info(line);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) return resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    await server.close();
  }
  throw ctx.signal.reason;
}
