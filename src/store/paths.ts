/**
 * Where the profiles live: `KITSU_TAIL_CONFIG_DIR` when set, else the user's config folder
 * by the platform's convention. Read from the environment the command was given, so tests
 * and wrappers move it without touching the real home folder.
 */
import { homedir, platform } from 'node:os';
import { join, resolve } from 'node:path';

export const CONFIG_FILE_NAME = 'config.json';

export function configDir(env: Record<string, string | undefined>, os: string = platform()): string {
  if (env.KITSU_TAIL_CONFIG_DIR) return resolve(env.KITSU_TAIL_CONFIG_DIR);
  const home = env.HOME || env.USERPROFILE || homedir();
  if (os === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'kitsu-tail');
  if (os === 'darwin') return join(home, 'Library', 'Preferences', 'kitsu-tail');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'kitsu-tail');
}
