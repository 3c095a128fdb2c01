/**
 * The command tree as shell completion needs it, read from the commander program itself
 * (through commander's Help, so hidden things stay hidden and the implicit `help` command
 * and `--help` options are included). The scripts are generated from this, never written
 * by hand, so they cannot drift from the program.
 */
import type { Argument, CommandUnknownOpts as Command, Option } from '@commander-js/extra-typings';

/** Values only this machine's files know: `kitsu-tail __complete <source>` prints them on TAB. */
export type DynamicSource = 'profiles' | 'events' | 'projects';

/** What the value of an option, or an argument, completes to. */
export type ValueKind =
  | { kind: 'none' }
  | { kind: 'file' }
  | { kind: 'choices'; choices: string[] }
  | { kind: 'commands' }
  | { kind: 'dynamic'; source: DynamicSource };

/**
 * The options and arguments whose values come from `__complete`, by flag, and by argument
 * name (`<command path>/<argument>`, or `*` for every command). A test checks that each names
 * an option or argument the program has.
 */
export const DYNAMIC_OPTIONS: Readonly<Record<string, DynamicSource>> = {
  '--profile': 'profiles',
  '--project': 'projects',
  '--exclude': 'events',
};
export const DYNAMIC_ARGUMENTS: Readonly<Record<string, DynamicSource>> = {
  '*/patterns': 'events',
  'profiles use/name': 'profiles',
  'profiles remove/name': 'profiles',
};

export interface OptionSpec {
  long?: string;
  short?: string;
  description: string;
  /** Null for a flag; else what its value completes to. */
  value: ValueKind | null;
  /** The value's placeholder in the help (`time` for `--since <time>`). */
  valueName?: string;
  repeatable: boolean;
}

export interface ArgumentSpec {
  name: string;
  description: string;
  variadic: boolean;
  value: ValueKind;
}

export interface CommandSpec {
  name: string;
  /** Names from the root, the root excluded: [] for the program, ['profiles', 'use']. */
  path: string[];
  description: string;
  /** The command's own options (for the root: the global ones). */
  options: OptionSpec[];
  arguments: ArgumentSpec[];
  commands: CommandSpec[];
}

function optionSpec(option: Option): OptionSpec {
  const placeholder = /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1];
  const takesValue = option.required || option.optional;
  let value: ValueKind | null = null;
  const dynamic = option.long ? DYNAMIC_OPTIONS[option.long] : undefined;
  if (takesValue) {
    if (dynamic) value = { kind: 'dynamic', source: dynamic };
    else if (option.argChoices) value = { kind: 'choices', choices: [...option.argChoices] };
    else if (placeholder && /file|path|dir/i.test(placeholder)) value = { kind: 'file' };
    else value = { kind: 'none' };
  }
  return {
    long: option.long,
    short: option.short,
    description: option.description,
    value,
    valueName: takesValue ? placeholder : undefined,
    repeatable: /\brepeatable\b/i.test(option.description),
  };
}

function argumentSpec(argument: Argument, path: string[], isHelpCommand: boolean): ArgumentSpec {
  let value: ValueKind = { kind: 'none' };
  const dynamic =
    DYNAMIC_ARGUMENTS[`${path.join(' ')}/${argument.name()}`] ?? DYNAMIC_ARGUMENTS[`*/${argument.name()}`];
  if (argument.argChoices) value = { kind: 'choices', choices: [...argument.argChoices] };
  else if (isHelpCommand) value = { kind: 'commands' };
  else if (dynamic) value = { kind: 'dynamic', source: dynamic };
  return { name: argument.name(), description: argument.description, variadic: argument.variadic, value };
}

/** The tree under `program`. The root's options are the global ones, accepted by every command. */
export function commandSpec(program: Command): CommandSpec {
  const help = program.createHelp();
  // The implicit `help` command is the one visible command that is not among `commands`.
  const walk = (command: Command, path: string[], isHelpCommand: boolean): CommandSpec => ({
    name: command.name(),
    path,
    description: command.description(),
    options: help.visibleOptions(command).map(optionSpec),
    arguments: command.registeredArguments.map((argument) => argumentSpec(argument, path, isHelpCommand)),
    commands: help
      .visibleCommands(command)
      .map((sub) => walk(sub, [...path, sub.name()], !command.commands.includes(sub))),
  });
  return walk(program, [], false);
}

/** Every command of the tree, the root first. */
export function allCommands(root: CommandSpec): CommandSpec[] {
  return [root, ...root.commands.flatMap(allCommands)];
}

/** The options the root accepts anywhere, without its --help and --version. */
export function globalOptions(root: CommandSpec): OptionSpec[] {
  return root.options.filter((o) => o.long !== '--help' && o.long !== '--version');
}

/**
 * What each value-taking flag completes to. The scripts keep one table for all commands,
 * so a flag must mean the same everywhere; this throws when two commands disagree.
 */
export function valueKinds(root: CommandSpec): Map<string, ValueKind> {
  const kinds = new Map<string, ValueKind | null>();
  for (const command of allCommands(root)) {
    for (const option of command.options) {
      for (const flag of flagsOf(option)) {
        if (kinds.has(flag) && JSON.stringify(kinds.get(flag)) !== JSON.stringify(option.value)) {
          throw new Error(`completion: ${flag} takes different values in different commands`);
        }
        kinds.set(flag, option.value);
      }
    }
  }
  const valued = new Map<string, ValueKind>();
  for (const [flag, kind] of kinds) if (kind) valued.set(flag, kind);
  return valued;
}

/** The flags of an option, long first: ['--verbose', '-v']. */
export function flagsOf(option: OptionSpec): string[] {
  return [option.long, option.short].filter((f): f is string => Boolean(f));
}
