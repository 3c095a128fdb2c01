/**
 * Helpers of the `logs` tests: sessions on a sandbox from a bot token (the quickest way to a
 * session: KITSU_HOST + KITSU_TOKEN, nothing saved), and the server's log as the tests
 * compare it.
 */
import { PassThrough } from 'node:stream';
import type { Context } from '../../src/context.js';
import { openSession } from '../../src/kitsu/session.js';
import type { Session } from '../../src/kitsu/types.js';
import type { Role, Sandbox, StoredEvent } from '../../src/sandbox/types.js';
import { tempConfigDir } from './run-cli.js';

/** The environment that logs in as a new bot of `role`, for runCli or a spawned process. */
export function botEnv(sandbox: Sandbox, role: Role, configDir: string): Record<string, string> {
  const bot = sandbox.control.createBot(role);
  return { KITSU_HOST: sandbox.url, KITSU_TOKEN: bot.token, KITSU_TAIL_CONFIG_DIR: configDir, NO_COLOR: '1' };
}

/** An open session as a new bot of `role`; close it with `done()`. */
export async function botSession(sandbox: Sandbox, role: Role = 'admin'): Promise<{ session: Session; done: () => Promise<void> }> {
  const config = tempConfigDir();
  const ctx: Context = {
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    stdin: new PassThrough(),
    env: botEnv(sandbox, role, config.dir),
    clock: { now: () => Date.now() },
    signal: new AbortController().signal,
    globals: { color: 'never', verbose: false, quiet: true, insecure: false },
  };
  const session = await openSession(ctx);
  return {
    session,
    done: async () => {
      await session.close();
      config.cleanup();
    },
  };
}

/** What the server holds, as the ids the tool should print, oldest first. */
export function storedIds(sandbox: Sandbox, keep: (e: StoredEvent) => boolean = () => true): string[] {
  return sandbox.control.log().filter(keep).map((e) => e.id);
}

/** The second (epoch seconds) of a stored event, as the server truncates it. */
export function secondOfStored(e: StoredEvent): number {
  return Math.floor(e.createdAtUs / 1_000_000);
}

/** Ids of NDJSON lines, failing on anything that is not a whole record line. */
export function idsOfNdjson(text: string): string[] {
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new Error(`output ends with a partial line: ${JSON.stringify(text.slice(-80))}`);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => (JSON.parse(line) as { id: string }).id);
}
