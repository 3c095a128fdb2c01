/**
 * Commander's own usage errors (unknown option, bad choice, missing argument, invalid number),
 * rewritten into the one style of every other error: `kitsu-tail: <what is wrong> (<hint>)`,
 * exit 2. Installed on every command of the program by `installUsageErrors`, so a flag or a
 * command added later gets the same words without doing anything.
 *
 * "Did you mean" looks across the whole program: `logs --count` points to `listen --count`,
 * as people carry flags from one command to the other.
 *
 * The messages are read from commander 14's wording (pinned in package.json); the table of
 * test/unit/messages.test.ts fails if an upgrade changes it.
 */
import type { CommandUnknownOpts as Command, Option } from '@commander-js/extra-typings';
import { UsageError } from '../errors.js';
import { examplesOf } from './help.js';

/** The command's name as typed after `kitsu-tail`: `logs`, `profiles use`; '' for the root. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function helpHint(command: Command): string {
  const path = commandPath(command);
  return `see kitsu-tail ${path ? `${path} ` : ''}--help`;
}

function allCommands(root: Command): Command[] {
  return [root, ...root.commands.flatMap((c) => allCommands(c))];
}

function rootOf(command: Command): Command {
  let c = command;
  while (c.parent) c = c.parent;
  return c;
}

/** Options `command` accepts: its own, then its parents' (the global ones). */
function acceptedLongFlags(command: Command): string[] {
  const flags: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) {
    for (const option of c.options as readonly Option[]) if (option.long) flags.push(option.long);
  }
  return flags;
}

/** Edit distance counting a swap of two neighbours as one edit: `lgos` is one from `logs`. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(word, candidate);
    if (d < bestDistance && d <= Math.max(1, Math.floor(candidate.length / 3))) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function unknownOption(command: Command, flag: string): UsageError {
  const path = commandPath(command);
  const where = path ? ` for ${path}` : '';
  const name = flag.split('=')[0]!;
  if (name.startsWith('--')) {
    // The exact flag on another command first: people carry flags from one command to another.
    const elsewhere = allCommands(rootOf(command)).filter(
      (c) => c !== command && c.parent && (c.options as readonly Option[]).some((o) => o.long === name),
    );
    if (elsewhere.length > 0) {
      const others = elsewhere.map((c) => `kitsu-tail ${commandPath(c)} ${name}`);
      return new UsageError(
        `unknown option '${name}'${where}`,
        `${name} belongs to another command: did you mean ${others.join(' or ')}?`,
      );
    }
    const own = closest(name, acceptedLongFlags(command));
    if (own) return new UsageError(`unknown option '${name}'${where}`, `did you mean ${own}? ${helpHint(command)}`);
  }
  return new UsageError(`unknown option '${name}'${where}`, helpHint(command));
}

function unknownCommand(command: Command, word: string): UsageError {
  // `__complete` is the completion scripts' own: never offered to a person.
  const names = command.commands.map((c) => c.name()).filter((name) => !name.startsWith('__'));
  const guess = closest(word, names);
  if (guess)
    return new UsageError(`unknown command '${word}'`, `did you mean kitsu-tail ${guess}? ${helpHint(command)}`);
  const path = commandPath(command);
  return new UsageError(
    `unknown command '${word}'${path ? ` for ${path}` : ''}`,
    `the commands are ${names.join(', ')}; ${helpHint(command)}`,
  );
}

/** `a, b or c` */
function either(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

function exampleHint(command: Command): string {
  // A hint sits in brackets already: skip examples that hold brackets of their own.
  const example = examplesOf(commandPath(command)).find((e) => !/[()]/.test(e.line));
  return example ? `for example: ${example.line}` : helpHint(command);
}

function optionNamed(command: Command, flags: string): Option | undefined {
  for (let c: Command | null = command; c; c = c.parent) {
    const found = (c.options as readonly Option[]).find((o) => o.flags === flags);
    if (found) return found;
  }
  return undefined;
}

/**
 * The usage error for commander's `message` and `code`, raised on `command`.
 * Exported for the tests; `installUsageErrors` is how the program uses it.
 */
export function usageErrorFor(command: Command, message: string, code: string | undefined): UsageError {
  const text = message.replace(/^error: /, '').replace(/\s*\n?\(Did you mean [^)]*\)\s*$/, '');
  const path = commandPath(command);
  let m: RegExpExecArray | null;
  switch (code) {
    case 'commander.unknownOption':
      if ((m = /^unknown option '([^']+)'/.exec(text))) return unknownOption(command, m[1]!);
      break;
    case 'commander.unknownCommand':
      if ((m = /^unknown command '([^']+)'/.exec(text))) return unknownCommand(command, m[1]!);
      break;
    case 'commander.missingArgument':
      if ((m = /^missing required argument '([^']+)'/.exec(text))) {
        const argument = command.registeredArguments.find((a) => a.name() === m![1]);
        const choices = argument?.argChoices ? `: ${either(argument.argChoices)}` : '';
        return new UsageError(`${path} needs a ${m[1]}${choices}`, exampleHint(command));
      }
      break;
    case 'commander.optionMissingArgument':
      if ((m = /^option '([^']+)' argument missing/.exec(text))) {
        const option = optionNamed(command, m[1]!);
        const name = option?.long ?? option?.short ?? m[1]!;
        const choices = option?.argChoices ? `: ${either(option.argChoices)}` : '';
        return new UsageError(
          `${name} needs a value${choices}`,
          `write it as ${m[1]!.replace(/^-\w, /, '')}; ${helpHint(command)}`,
        );
      }
      break;
    case 'commander.invalidArgument':
      if ((m = /^option '([^']+)' argument '(.*)' is invalid\. ([\s\S]*)$/.exec(text))) {
        const option = optionNamed(command, m[1]!);
        const name = option?.long ?? option?.short ?? m[1]!;
        if (option?.argChoices) {
          return new UsageError(`${name} cannot be '${m[2]}'`, `use ${either(option.argChoices)}`);
        }
        // Our own value parsers already name the flag and the fix (src/options.ts).
        const reason = m[3]!.replace(/\.$/, '');
        return new UsageError(`${name} '${m[2]}': ${reason}`);
      }
      if ((m = /^command-argument value '(.*)' is invalid for argument '([^']+)'\. ([\s\S]*)$/.exec(text))) {
        const argument = command.registeredArguments.find((a) => a.name() === m![2]);
        const choices = argument?.argChoices
          ? `use one of ${argument.argChoices.join(', ')}`
          : m[3]!.replace(/\.$/, '');
        return new UsageError(`${path} cannot take '${m[1]}' as its ${m[2]}`, choices);
      }
      break;
    case 'commander.excessArguments': {
      const expected = command.registeredArguments.length;
      const extra = command.args.slice(expected).join(' ');
      const takes = expected === 0 ? 'takes no arguments' : `takes ${expected} argument${expected === 1 ? '' : 's'}`;
      return new UsageError(`${path || 'kitsu-tail'} ${takes}, but got '${extra}' as well`, exampleHint(command));
    }
  }
  return new UsageError(text.replace(/\.$/, ''), helpHint(command));
}

/**
 * Makes every command of `program` raise our UsageError instead of printing commander's
 * `error: …` line. Call it once every command is declared.
 */
export function installUsageErrors(program: Command): void {
  for (const command of allCommands(program)) {
    command.error = (message: string, options?: { code?: string; exitCode?: number }): never => {
      throw usageErrorFor(command, message, options?.code);
    };
  }
}
