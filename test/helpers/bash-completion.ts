/**
 * Runs a generated bash completion script the way bash runs it on TAB, for the completion
 * tests: COMP_LINE and COMP_POINT set, COMP_WORDS split at blanks and at `:` and `=` (bash's
 * COMP_WORDBREAKS), then the completion function. Returns COMPREPLY for each line, its words
 * joined by spaces: what bash would offer (or put in place of the word after the last : or =).
 */
import { execFileSync } from 'node:child_process';

export function bashCompletions(
  script: string,
  lines: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; functionName?: string },
): string[] {
  const driver = [
    `source ${JSON.stringify(script)}`,
    'complete_line() {',
    '  COMP_LINE="$1"',
    '  COMP_POINT=${#1}',
    '  local spaced="${1//:/ : }"',
    '  spaced="${spaced//=/ = }"',
    '  read -ra COMP_WORDS <<< "$spaced"',
    // A line that ends in a blank starts a new, empty word; one that ends in : or = does not.
    '  [[ $1 == *" " ]] && COMP_WORDS+=("")',
    '  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))',
    '  COMPREPLY=()',
    `  ${options.functionName ?? '_kitsu_tail'}`,
    '  echo "${COMPREPLY[*]}"',
    '}',
    ...lines.map((line) => `complete_line ${JSON.stringify(line)}`),
  ].join('\n');
  const output = execFileSync('bash', ['--norc', '--noprofile', '-c', driver], {
    cwd: options.cwd,
    encoding: 'utf8',
    env: options.env,
  });
  return output.split('\n').slice(0, lines.length);
}
