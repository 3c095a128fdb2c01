/**
 * Helpers of the `logs` tests: sessions on a sandbox from a bot token (the quickest way to a
 * session: KITSU_HOST + KITSU_TOKEN, nothing saved), and the server's log as the tests
 * compare it.
 */
import { openSession } from '../../src/kitsu/session.js';
import type { Session } from '../../src/kitsu/types.js';
import type { Role, Sandbox, StoredEvent } from '../../src/sandbox/types.js';
import { testContext } from './context.js';
import { tempConfigDir } from './run-cli.js';

/** The environment that logs in as a new bot of `role`, for runCli or a spawned process. */
export function botEnv(sandbox: Sandbox, role: Role, configDir: string): Record<string, string> {
  const bot = sandbox.control.createBot(role);
  return { KITSU_HOST: sandbox.url, KITSU_TOKEN: bot.token, KITSU_TAIL_CONFIG_DIR: configDir, NO_COLOR: '1' };
}

/** An open session as a new bot of `role`; close it with `done()`. */
export async function botSession(
  sandbox: Sandbox,
  role: Role = 'admin',
): Promise<{ session: Session; done: () => Promise<void> }> {
  const config = tempConfigDir();
  const ctx = testContext({ env: botEnv(sandbox, role, config.dir), globals: { color: 'never', quiet: true } });
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
  return sandbox.control
    .log()
    .filter(keep)
    .map((e) => e.id);
}

/**
 * The project a stored event belongs to, as `--project` means it and the record shows it: the
 * row's column, else `data.project_id` (Zou's `project:*` rows have only the latter).
 */
export function projectOf(e: StoredEvent): string | null {
  return e.project_id ?? (typeof e.data.project_id === 'string' ? e.data.project_id : null);
}

/** The second (epoch seconds) of a stored event, as the server truncates it. */
export function secondOfStored(e: StoredEvent): number {
  return Math.floor(e.createdAtUs / 1_000_000);
}

/** A small seeded generator (numbers in [0, 1)), so that a failing random test can be replayed. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Resolves once `condition()` holds, checking every 20 ms; fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
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

/**
 * Preloaded (`node --import PAUSE_PRELOAD …`) into an exporting child: when
 * $KITSU_TEST_PAUSE_AT is `sync:NAME#N` or `rename:NAME#N`, the child stops just before its
 * N-th fsync of the file NAME, or its N-th rename onto NAME, and says so on stderr
 * (`paused at …`), so that a test can SIGKILL it exactly there: between writing the output
 * and flushing it, or between flushing it and replacing the checkpoint. Linux (/proc).
 */
export const PAUSE_PRELOAD =
  'data:text/javascript,' +
  encodeURIComponent(`
    import { readlinkSync, writeSync } from 'node:fs';
    import fsp from 'node:fs/promises';
    import { syncBuiltinESMExports } from 'node:module';
    import { basename } from 'node:path';
    const [point, nth] = (process.env.KITSU_TEST_PAUSE_AT ?? '').split('#');
    let seen = 0;
    const reached = (step) => {
      if (step !== point || ++seen !== Number(nth)) return;
      writeSync(2, '\\npaused at ' + process.env.KITSU_TEST_PAUSE_AT + '\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    };
    const probe = await fsp.open(process.execPath, 'r');
    const FileHandle = Object.getPrototypeOf(probe);
    await probe.close();
    const sync = FileHandle.sync;
    FileHandle.sync = function () {
      reached('sync:' + basename(readlinkSync('/proc/self/fd/' + this.fd)));
      return sync.call(this);
    };
    const rename = fsp.rename;
    fsp.rename = function (from, to) {
      reached('rename:' + basename(String(to)));
      return rename.call(this, from, to);
    };
    syncBuiltinESMExports();
  `);
