import { spawnSync } from 'node:child_process';

/** Whether a shell is installed here (.ci/run installs zsh and fish; a laptop may lack them). */
export function hasShell(shell: string): boolean {
  return spawnSync(shell, ['--version'], { stdio: 'ignore' }).status === 0;
}
