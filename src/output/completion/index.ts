/**
 * Shell completion scripts generated from the commander program: `kitsu-tail completion
 * bash|zsh|fish` prints one, and completions/ holds committed copies (test/completion checks
 * that they match the program).
 */
import type { CommandUnknownOpts as Command } from '@commander-js/extra-typings';
import { bashScript } from './bash.js';
import { fishScript } from './fish.js';
import { commandSpec } from './spec.js';
import { zshScript } from './zsh.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const generators: Record<Shell, typeof bashScript> = { bash: bashScript, zsh: zshScript, fish: fishScript };

export function completionScript(program: Command, shell: Shell): string {
  return generators[shell](commandSpec(program), program.name());
}
