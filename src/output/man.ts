/**
 * The man page, kitsu-tail(1), generated from the program itself: the same command tree the
 * completion scripts are made from (output/completion/spec.ts), the examples of the help
 * pages (output/help.ts) and the exit codes of `kitsu-tail --help` (handed in: output does
 * not import options). Never written by hand:
 * test/completion/man.test.ts regenerates man/kitsu-tail.1 and fails on a difference.
 */
import type { CommandUnknownOpts as Command } from '@commander-js/extra-typings';
import { allCommands, commandSpec, globalOptions, type CommandSpec, type OptionSpec } from './completion/spec.js';
import { examplesOf } from './help.js';

/** Text as roff reads it literally: backslashes, dashes, and a leading dot or quote. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^([.'])/gm, '\\&$1');
}

function optionLines(option: OptionSpec): string[] {
  const flags = [option.short, option.long]
    .filter(Boolean)
    .map((f) => `\\fB${roff(f!)}\\fR`)
    .join(', ');
  const value = option.valueName ? ` \\fI${roff(option.valueName)}\\fR` : '';
  const choices = option.value?.kind === 'choices' ? ` (one of: ${option.value.choices.join(', ')})` : '';
  return ['.TP', `${flags}${value}`, roff(`${option.description}${choices}`)];
}

function usage(command: CommandSpec): string {
  // Every argument here is either variadic and optional ([patterns...]) or required (<name>).
  const args = command.arguments.map((a) => (a.variadic ? `[${a.name}...]` : `<${a.name}>`));
  return [`\\fBkitsu\\-tail ${roff(command.path.join(' '))}\\fR`, '[options]', ...args.map(roff)].join(' ');
}

function examples(path: string): string[] {
  const list = examplesOf(path);
  if (list.length === 0) return [];
  return [
    '.PP',
    'Examples:',
    ...list.flatMap((e) => ['.PP', '.RS 4', `\\f(CR${roff(e.line)}\\fR`, '.br', roff(e.says), '.RE']),
  ];
}

/** kitsu-tail(1) for `program`, at `version`; `exitCodes` is the table of `kitsu-tail --help` (EXIT_CODES_HELP). */
export function manPage(program: Command, version: string, exitCodes: string): string {
  const root = commandSpec(program);
  const lines: string[] = [
    '.\\" Generated from the program by src/output/man.ts; do not edit.',
    `.TH KITSU\\-TAIL 1 "" "kitsu\\-tail ${roff(version)}" "User Commands"`,
    '.SH NAME',
    `kitsu\\-tail \\- ${roff(root.description.replace(/\.$/, ''))}`,
    '.SH SYNOPSIS',
    '\\fBkitsu\\-tail\\fR [global options] \\fIcommand\\fR [options] [arguments]',
    '.SH DESCRIPTION',
    roff(root.description),
    'Each command takes the global options below as well as its own.',
    '.SH GLOBAL OPTIONS',
    ...globalOptions(root).flatMap(optionLines),
    '.SH COMMANDS',
  ];
  for (const command of allCommands(root).slice(1)) {
    if (command.name === 'help' && command.path.length === 1) continue;
    lines.push('.SS', roff(command.path.join(' ')), usage(command), '.PP', roff(command.description));
    const own = command.options.filter((o) => o.long !== '--help');
    if (own.length > 0) lines.push(...own.flatMap(optionLines));
    lines.push(...examples(command.path.join(' ')));
  }
  lines.push('.SH EXAMPLES', ...examples('').slice(2));
  lines.push('.SH EXIT STATUS');
  for (const line of exitCodes.trim().split('\n').slice(1)) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (m) lines.push('.TP', `\\fB${m[1]}\\fR`, roff(m[2]!));
  }
  lines.push(
    '.SH ENVIRONMENT',
    '.TP',
    '\\fBKITSU_HOST\\fR, \\fBKITSU_TOKEN\\fR',
    'use this server and token instead of a saved login',
    '.TP',
    '\\fBKITSU_PROFILE\\fR',
    'the saved login to use, like \\fB\\-\\-profile\\fR',
    '.TP',
    '\\fBKITSU_TAIL_CONFIG_DIR\\fR',
    'where the profiles are saved',
    '.TP',
    '\\fBNO_COLOR\\fR, \\fBFORCE_COLOR\\fR',
    'turn colour off or on',
    '.SH SEE ALSO',
    '\\fBkitsu\\-tail completion\\fR \\fIbash\\fR|\\fIzsh\\fR|\\fIfish\\fR for shell completion.',
  );
  return `${lines.join('\n')}\n`;
}
