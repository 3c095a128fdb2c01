/**
 * Runs a generated fish completion script the way fish runs it on TAB, for the completion
 * tests: one `fish --no-config` sources the script and asks `complete -C` for each line.
 * Returns, for each line, the candidates fish would offer (without their descriptions), sorted.
 */
import { execFileSync } from 'node:child_process';

/** Printed between the answers for two lines: fish never offers it as a candidate. */
const END = '--end-of-candidates--';

export function fishCompletions(
  script: string,
  lines: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): string[][] {
  const driver = [
    `source ${fishQuote(script)}`,
    ...lines.map((line) => `complete -C ${fishQuote(line)}; echo ${END}`),
  ].join('\n');
  const output = execFileSync('fish', ['--no-config', '-c', driver], {
    cwd: options.cwd,
    encoding: 'utf8',
    env: options.env,
  });
  const answers = output.split(`${END}\n`).slice(0, lines.length);
  expectCount(answers.length, lines.length, output);
  return answers.map((answer) =>
    answer
      .split('\n')
      .filter(Boolean)
      .map((entry) => entry.split('\t')[0]!)
      .sort(),
  );
}

/** A fish single-quoted string: only \ and ' are special inside. */
function fishQuote(text: string): string {
  return `'${text.replace(/[\\']/g, '\\$&')}'`;
}

function expectCount(got: number, wanted: number, output: string): void {
  if (got !== wanted) throw new Error(`fish answered ${got} of ${wanted} lines:\n${output}`);
}
