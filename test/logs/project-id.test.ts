/**
 * `--project <id>` for an id the server does not have is exit 2, like an unknown name (it used
 * to be sent on and answered with nothing); an id the account may not read still reaches the
 * server, which answers 403 (exit 4).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { botEnv, startInProcess } from '../helpers/listen.js';
import { expectOneLine, loginAs } from '../helpers/login.js';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';

let sandbox: Sandbox;
const tmp = tempConfigDir();
beforeAll(async () => {
  sandbox = await startSandbox({ seed: 4, events: 200 });
});
afterAll(async () => {
  await sandbox.close();
  tmp.cleanup();
});

describe('--project with an id the server does not have', () => {
  it('is exit 2 for logs, naming the id', async () => {
    const id = randomUUID();
    const result = await runCli(['logs', '--project', id], { env: botEnv(sandbox, tmp.dir) });
    expect(result.code).toBe(2);
    expectOneLine(result);
    expect(result.stderr).toContain(`--project "${id}" matches no project: the server has none with that id`);
    expect(result.stdout).toBe('');
  });

  it('is exit 2 for listen, before it connects', async () => {
    const live = startInProcess(['listen', '--project', randomUUID(), '--json'], botEnv(sandbox, tmp.dir));
    let ended = false;
    void live.exit.then(() => (ended = true));
    try {
      await live.waitFor(() => ended || live.stderr().includes('connected to'), 'the run to end or connect');
      expect(ended, live.stderr()).toBe(true);
      expect(await live.exit).toBe(2);
      expect(live.stderr()).toContain('matches no project');
    } finally {
      live.interrupt();
      await live.exit;
    }
  });

  it('still passes a known id on, and one the account may not read to the server (exit 4)', async () => {
    const known = await runCli(['logs', '--project', sandbox.projects[0]!.id, '--limit', '3'], {
      env: botEnv(sandbox, tmp.dir),
    });
    expect(known.code, known.stderr).toBe(0);
    const managerConfig = tempConfigDir();
    try {
      await loginAs(sandbox, sandbox.users.manager, managerConfig.dir);
      const other = await runCli(['logs', '--project', sandbox.projects[2]!.id], {
        env: { KITSU_TAIL_CONFIG_DIR: managerConfig.dir },
      });
      expect(other.code).toBe(4);
    } finally {
      managerConfig.cleanup();
    }
  });
});
