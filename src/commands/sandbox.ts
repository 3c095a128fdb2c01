import type { Context } from '../context.js';
import { CliError, ExitCode } from '../errors.js';

export default async function sandbox(_ctx: Context, _args: string[], _options: Record<string, unknown>): Promise<void> {
  throw new CliError('`sandbox` is not built yet', ExitCode.failure);
}
