/**
 * `kitsu-tail completion bash|zsh|fish`: prints the completion script for that shell,
 * generated from the program's own commands and options (handed in by src/cli.ts, so that
 * this module does not import the program back).
 */
import type { Context, PlanContext, ProgramTree } from '../context.js';
import { UsageError } from '../errors.js';
import type { CompletionOptions } from '../options.js';
import { completionScript, SHELLS, type Shell } from '../output/completion/index.js';
import { writeResult } from '../output/sink.js';

export interface CompletionPlan {
  shell: Shell;
}

export function plan(_ctx: PlanContext, args: string[], _options: CompletionOptions): CompletionPlan {
  const shell = args[0];
  // Commander checks the choices already; this keeps a direct caller honest too.
  if (!SHELLS.includes(shell as Shell)) {
    throw new UsageError(`no completion for the shell '${shell ?? ''}'`, `use one of: ${SHELLS.join(', ')}`);
  }
  return { shell: shell as Shell };
}

export async function run(ctx: Context, plan: CompletionPlan, program: ProgramTree): Promise<void> {
  await writeResult(ctx.stdout, ctx.signal, completionScript(program, plan.shell));
}
