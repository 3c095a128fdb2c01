/**
 * The set-up every in-process `listen` test file shares: one sandbox for the file, a bot
 * profile in a temporary config folder, and listeners that a failed test cannot leave running
 * into the next one. Call it at the top level of a test file (it registers vitest hooks).
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox, SandboxOptions } from '../../src/sandbox/types.js';
import { botEnv, startInProcess, waitUntil, type LiveRun } from './listen.js';
import { tempConfigDir } from './run-cli.js';

export interface ListenSuite {
  readonly sandbox: Sandbox;
  /** The environment of a bot logged in to the sandbox. */
  readonly env: Record<string, string>;
  /** The temporary config folder (for files a test writes beside it). */
  readonly dir: string;
  /** Starts `listen argv` and waits until the sandbox counts its socket, so what is emitted next reaches it. */
  listen(argv: string[], extraEnv?: Record<string, string>): Promise<LiveRun>;
  /** Stops `live` (started some other way, e.g. `logs --follow`) after the test if it is still running. */
  track(live: LiveRun): LiveRun;
  /** The exit code of a listener that ends by itself (--count, --until, an error). */
  finished(live: LiveRun): Promise<number>;
}

export function listenSuite(options: SandboxOptions): ListenSuite {
  const tmp = tempConfigDir();
  const running: LiveRun[] = [];
  let sandbox: Sandbox | undefined;
  let env: Record<string, string> = {};

  beforeAll(async () => {
    sandbox = await startSandbox(options);
    env = botEnv(sandbox, tmp.dir);
  });
  afterEach(async () => {
    for (const live of running.splice(0)) {
      live.interrupt();
      await live.exit;
    }
  });
  afterAll(async () => {
    await sandbox?.close();
    tmp.cleanup();
  });

  const started = (): Sandbox => {
    if (!sandbox) throw new Error('listenSuite: the sandbox is used before beforeAll ran');
    return sandbox;
  };
  return {
    get sandbox() {
      return started();
    },
    get env() {
      return env;
    },
    dir: tmp.dir,
    async listen(argv, extraEnv = {}) {
      const live = startInProcess(['listen', ...argv], { ...env, ...extraEnv });
      running.push(live);
      await live.waitForStderr('connected to');
      // The stream broadcasts to every socket; wait until ours is one of them.
      await waitUntil(() => started().control.connectedSockets() >= 1, 'the socket to be counted');
      return live;
    },
    track(live) {
      running.push(live);
      return live;
    },
    async finished(live) {
      const code = await live.exit;
      const at = running.indexOf(live);
      if (at >= 0) running.splice(at, 1);
      return code;
    },
  };
}
