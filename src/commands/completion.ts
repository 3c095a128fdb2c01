/**
 * `kitsu-tail completion bash|zsh|fish`: prints the completion script for that shell,
 * generated from the program's own commands and options.
 */
import { createProgram } from '../cli.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { completionScript, SHELLS, type Shell } from '../output/completion/index.js';
import { writeResult } from '../output/sink.js';

export default async function completion(ctx: Context, args: string[], _options: Record<string, unknown>): Promise<void> {
  const shell = args[0];
  // Commander checks the choices already; this keeps a direct caller honest too.
  if (!SHELLS.includes(shell as Shell)) {
    throw new UsageError(`no completion for the shell '${shell ?? ''}'`, `use one of: ${SHELLS.join(', ')}`);
  }
  await writeResult(ctx.stdout, ctx.signal, completionScript(createProgram(ctx), shell as Shell));
}
