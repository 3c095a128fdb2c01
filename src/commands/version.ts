/**
 * `kitsu-tail version` (and `kitsu-tail --version --verbose`): what to paste into a bug
 * report: the tool's version, Node.js, the platform, and the Zou versions it knows.
 */
import type { Context, PlanContext, ProgramTree } from '../context.js';
import { NEWEST_ZOU, OLDEST_ZOU } from '../core/zou-versions.js';
import type { VersionOptions } from '../options.js';
import { StreamSink } from '../output/sink.js';

export type VersionPlan = Record<string, never>;

export function plan(_ctx: PlanContext, _args: string[], _options: VersionOptions): VersionPlan {
  return {};
}

export function versionLines(tool: string): string[] {
  return [
    `kitsu-tail ${tool}`,
    `Node.js    ${process.versions.node}`,
    `platform   ${process.platform} ${process.arch}`,
    `Zou        ${OLDEST_ZOU} to ${NEWEST_ZOU}`,
  ];
}

export async function run(ctx: Context, _plan: VersionPlan, program: ProgramTree): Promise<void> {
  const sink = new StreamSink(ctx.stdout, ctx.signal);
  await sink.write(`${versionLines(program.version() ?? 'unknown').join('\n')}\n`);
  await sink.flush();
  sink.release();
}
