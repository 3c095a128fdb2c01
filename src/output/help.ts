/**
 * The help pages' layout, applied to the whole program once every command is declared
 * (`installHelp` from src/cli.ts), so a command or flag added in src/options.ts gets it
 * without doing anything:
 * - every command's help ends with its examples (EXAMPLES below; a command without any fails
 *   test/unit/help.test.ts), and `kitsu-tail --help` shows the common ones;
 * - the global options are listed once, under `kitsu-tail --help`; a command's help lists its
 *   own and points there in one line, saying what `--json` prints for that command.
 *
 * The man page (src/output/man.ts) reads the same examples.
 */
import type { CommandUnknownOpts as Command } from '@commander-js/extra-typings';

export interface Example {
  /** The line as typed, starting with `kitsu-tail`. */
  line: string;
  /** What it does, in a few words. */
  says: string;
}

/** Examples by command path (`logs`, `profiles use`; '' is the program). Real, runnable lines. */
const EXAMPLES: Record<string, Example[]> = {
  '': [
    { line: 'kitsu-tail demo', says: 'see it work against a local stand-in, offline' },
    { line: 'kitsu-tail login --host kitsu.studio.com', says: 'log in once; the session is saved' },
    { line: "kitsu-tail listen 'task:*' --json | jq .name", says: 'live task events as NDJSON' },
    { line: 'kitsu-tail logs --since 2h --project "Agent 327"', says: 'what happened in the last two hours' },
  ],
  login: [
    { line: 'kitsu-tail login --host kitsu.studio.com', says: 'asks for the e-mail and password' },
    {
      line: 'printf %s "$PASS" | kitsu-tail login --host kitsu.studio.com --email me@studio.com --password-stdin',
      says: 'from a script',
    },
    {
      line: 'kitsu-tail login --host kitsu.studio.com --token "$BOT_TOKEN" --profile bot',
      says: 'a bot token, saved as profile bot',
    },
  ],
  logout: [
    { line: 'kitsu-tail logout', says: 'revoke the default profile’s session' },
    { line: 'kitsu-tail logout --profile staging', says: 'revoke another profile’s session' },
  ],
  whoami: [
    { line: 'kitsu-tail whoami', says: 'who, where, and until when' },
    { line: 'kitsu-tail whoami --json | jq -r .session_ends_at', says: 'when the session ends, for a script' },
  ],
  profiles: [
    { line: 'kitsu-tail profiles', says: 'list saved logins; * marks the default' },
    { line: 'kitsu-tail profiles use staging', says: 'make staging the default' },
    { line: 'kitsu-tail profiles remove old', says: 'forget profile old and its tokens' },
  ],
  'profiles use': [
    { line: 'kitsu-tail profiles use staging', says: 'make staging the default' },
    { line: 'kitsu-tail profiles', says: 'see the saved names' },
  ],
  'profiles remove': [
    { line: 'kitsu-tail profiles remove old', says: 'forget profile old and its tokens' },
    { line: 'kitsu-tail logout --profile old', says: 'revoke its session on the server first' },
  ],
  listen: [
    { line: "kitsu-tail listen 'task:*' --exclude task:update", says: 'task events but updates' },
    { line: "kitsu-tail listen 'comment:new' --json | jq -c .data", says: 'new comments as NDJSON' },
    { line: "kitsu-tail listen 'task:status-changed' --exec ./notify.sh", says: 'run a script for each' },
    { line: "kitsu-tail listen 'person:*' --count 1 --idle-timeout 5m", says: 'wait for one event, at most 5 minutes' },
  ],
  logs: [
    { line: 'kitsu-tail logs', says: 'the newest 100 events' },
    {
      line: "kitsu-tail logs --since yesterday 'task:*' --json | jq -r .name",
      says: 'task events since yesterday 00:00',
    },
    { line: 'kitsu-tail logs --since 2h --until 1h --project "Agent 327"', says: 'an hour of one project' },
    {
      line: 'kitsu-tail logs --checkpoint state.json --output events.ndjson',
      says: 'export new events exactly once (cron)',
    },
  ],
  sandbox: [
    { line: 'kitsu-tail sandbox', says: 'a stand-in on http://127.0.0.1:5080' },
    { line: 'kitsu-tail sandbox --port 0 --events 0 --rate 5', says: 'a free port, no history, 5 events a second' },
    { line: 'kitsu-tail sandbox --emulate 0.19.60', says: 'behave as an older Zou' },
  ],
  demo: [
    { line: 'kitsu-tail demo', says: 'a live tail of a stand-in, offline' },
    { line: "kitsu-tail demo 'task:*' --count 5 --json", says: 'five task events as NDJSON' },
  ],
  completion: [
    { line: 'source <(kitsu-tail completion bash)', says: 'bash, this shell' },
    { line: 'kitsu-tail completion zsh > "${fpath[1]}/_kitsu-tail"', says: 'zsh, for good' },
    { line: 'kitsu-tail completion fish > ~/.config/fish/completions/kitsu-tail.fish', says: 'fish' },
  ],
  // Hidden: what the completion scripts call on TAB.
  __complete: [
    { line: 'kitsu-tail __complete profiles', says: 'the saved profiles, one a line' },
    { line: "kitsu-tail --profile studio __complete events -- 'task:s'", says: 'event names for a pattern' },
  ],
  bridge: [
    { line: 'kitsu-tail bridge redis://127.0.0.1:6379/0', says: 'every stored event into the stream {kitsu}:events' },
    {
      line: "kitsu-tail bridge redis://127.0.0.1:6379/0 'task:*' --max-len 100000",
      says: 'task events, the stream trimmed',
    },
    {
      line: 'kitsu-tail listen --from redis://127.0.0.1:6379/0 --group mail',
      says: 'read the stream as consumer group mail',
    },
  ],
  version: [
    { line: 'kitsu-tail version', says: 'the version, Node.js, the platform and the Zou versions' },
    { line: 'kitsu-tail --version', says: 'the version number alone' },
  ],
};

/** What the global `--json` prints for each command; the default is for event commands. */
const JSON_MEANING: Record<string, string> = {
  whoami: 'one JSON object',
  profiles: 'one JSON object per profile',
  logs: 'one JSON record per line (NDJSON)',
  listen: 'one JSON record per line (NDJSON)',
  demo: 'one JSON record per line (NDJSON)',
};

export function examplesOf(path: string): readonly Example[] {
  return EXAMPLES[path] ?? [];
}

function pathOf(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function examplesText(examples: readonly Example[]): string {
  if (examples.length === 0) return '';
  const lines = examples.map((e) => `  $ ${e.line}\n      ${e.says}`);
  return `\nExamples:\n${lines.join('\n')}`;
}

/** Words into lines of at most `width` columns, each after `indent`. */
function wrap(text: string, width: number, indent = ''): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

function globalPointer(program: Command, path: string): string {
  const flags = program.options
    .map((o) => o.long)
    .filter((flag): flag is string => flag !== undefined && flag !== '--version' && flag !== '--help');
  const json = JSON_MEANING[path];
  const jsonLine = json && flags.includes('--json') ? ` Here --json prints ${json}.` : '';
  return `\n${wrap(`Global options: ${flags.join(' ')} also apply (see kitsu-tail --help).${jsonLine}`, 80, '  ')}`;
}

function allCommands(root: Command): Command[] {
  return [root, ...root.commands.flatMap((c) => allCommands(c))];
}

/** Lays out the help of `program` and of every command under it. */
export function installHelp(program: Command): void {
  program.configureHelp({ showGlobalOptions: false, sortSubcommands: false });
  for (const command of allCommands(program)) {
    const path = pathOf(command);
    if (command !== program) {
      command.configureHelp({ showGlobalOptions: false });
      command.addHelpText('after', globalPointer(program, path));
    }
    const examples = examplesText(examplesOf(path));
    if (examples) command.addHelpText('after', examples);
  }
}
