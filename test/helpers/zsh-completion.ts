/**
 * Runs a generated zsh completion script through zsh's own completion system, for the
 * completion tests. For each line, a `zsh -f -i` on a pseudo-terminal (zsh/zpty) loads
 * compinit with the script installed on fpath as `_kitsu-tail` (or, with `sourced`, the script
 * sourced after compinit: the README's two ways),
 * gets the line typed followed by TAB, and reports what the completion functions handed to
 * `compadd` (wrapped to record its matches, which zsh has already filtered by what is typed),
 * then exits. Nothing waits on a clock: each step reads the terminal until a marker appears or
 * the shell ends. Returns, for each line, the candidates, sorted.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CANDIDATE = '<<candidate>>';
const LINE_END = '<<line-end>>';

/** Set up in the zsh on the pseudo-terminal: completion, and a compadd that reports matches. */
const INIT = `
PROMPT='' RPROMPT=''
[[ -n $KT_FPATH ]] && fpath=("$KT_FPATH" $fpath)
autoload -U compinit && compinit -u -D
[[ -n $KT_SOURCE ]] && source "$KT_SOURCE"
bindkey '^I' complete-word
zstyle ':completion:*' insert-tab false
# The whole TAB happens inside one widget: end the shell when the completion functions are done.
comppostfuncs=( exit )
compadd() {
  # Calls that only ask (-O, -A, -D) are the completion functions' own business.
  if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then
    builtin compadd "$@"
    return
  fi
  local -a kt_matches
  builtin compadd -A kt_matches "$@"
  (( $#kt_matches )) && print -rl -- "${CANDIDATE}"\${^kt_matches}
  builtin compadd "$@"
}
print -r -- '==kt-ready=='
`;

const DRIVER = `
zmodload zsh/zpty || exit 3
for line in "$@"; do
  zpty kt zsh -f -i
  zpty -w kt "source \${(q)KT_INIT}"
  zpty -r kt ignored '*==kt-ready==*' || exit 4
  zpty -w -n kt "$line"$'\\t'
  while zpty -r kt; do :; done
  zpty -d kt
  print -r -- '${LINE_END}'
done
`;

export function zshCompletions(
  script: string,
  lines: readonly string[],
  options: { work: string; env: NodeJS.ProcessEnv; sourced?: boolean },
): string[][] {
  const installed: NodeJS.ProcessEnv = { KT_SOURCE: script };
  if (!options.sourced) {
    const fpath = join(options.work, 'zsh-functions');
    mkdirSync(fpath, { recursive: true });
    copyFileSync(script, join(fpath, '_kitsu-tail'));
    installed.KT_FPATH = fpath;
    installed.KT_SOURCE = '';
  }
  const init = join(options.work, 'zsh-init.zsh');
  writeFileSync(init, INIT);
  const output = execFileSync('zsh', ['-f', '-c', DRIVER, 'zsh', ...lines], {
    cwd: options.work,
    encoding: 'utf8',
    env: { ...options.env, ...installed, KT_INIT: init },
    // Only a hung shell gets near this; it is not a claim about speed.
    timeout: 120_000,
  });
  const answers = output.replace(/\r/g, '').split(`${LINE_END}\n`).slice(0, lines.length);
  if (answers.length !== lines.length) throw new Error(`zsh answered ${answers.length} of ${lines.length}:\n${output}`);
  return answers.map((answer) =>
    answer
      .split('\n')
      // The first one shares its terminal line with the typed line's echo.
      .filter((entry) => entry.includes(CANDIDATE))
      .map((entry) => entry.slice(entry.indexOf(CANDIDATE) + CANDIDATE.length))
      .sort(),
  );
}
