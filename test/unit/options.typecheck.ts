/**
 * Type test, run by `npm run typecheck` (part of `npm test`), not by vitest: the options
 * types inferred from src/options.ts catch a misspelt or mistyped flag at compile time. Each
 * `@ts-expect-error` line must fail to compile; if the types ever loosened (back to
 * `Record<string, unknown>`, say), the directive itself would be reported as unused and the
 * typecheck would fail.
 */
import type { PlanContext } from '../../src/context.js';
import { planListen } from '../../src/listen/run.js';
import { planLogs } from '../../src/logs/plan.js';
import type { ListenOptions, LoginOptions, LogsOptions } from '../../src/options.js';

declare const ctx: PlanContext;
declare const logs: LogsOptions;
declare const listen: ListenOptions;
declare const login: LoginOptions;

// The declared names compile, with the types their parsers give.
export const since: string | undefined = logs.since;
export const limit: number | undefined = logs.limit;
export const projects: string[] | undefined = logs.project;
export const backfill: boolean = listen.backfill;
export const passwordStdin: true | undefined = login.passwordStdin;

// @ts-expect-error: the flag is --since; a misspelt field does not exist.
export const misspelt = logs.sinse;

// @ts-expect-error: --idle-timeout is camel-cased by commander to idleTimeout.
export const kebab = listen['idle-timeout'];

// @ts-expect-error: --limit is parsed to a number by its parser, not left a string.
export const limitText: string | undefined = logs.limit;

// @ts-expect-error: a plan takes exactly the declared options; a misspelt key is refused.
planLogs(ctx, [], { sinse: '2h' });

// @ts-expect-error: listen's options lack --checkpoint, so logs' plan cannot be handed them.
planLogs(ctx, [], { ...listen, checkpoint: 1 });

// @ts-expect-error: --no-backfill makes `backfill` a boolean that is always there.
planListen(ctx, [], { project: [] });
