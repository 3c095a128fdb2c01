import type { Context } from '../context.js';
import { CliError, ExitCode } from '../errors.js';

export default async function profiles(_ctx: Context, _args: string[], _options: Record<string, unknown>): Promise<void> {
  throw new CliError('`profiles` is not built yet', ExitCode.failure);
}

export async function use(_ctx: Context, _args: string[]): Promise<void> {
  throw new CliError('`profiles use` is not built yet', ExitCode.failure);
}

export async function remove(_ctx: Context, _args: string[]): Promise<void> {
  throw new CliError('`profiles remove` is not built yet', ExitCode.failure);
}
