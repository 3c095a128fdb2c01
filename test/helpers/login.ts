/**
 * Log in to a sandbox through the real `login` command, in-process, saving the profile in
 * `configDir` (what KITSU_TAIL_CONFIG_DIR points at). Tests of other commands then run with
 * `env: { KITSU_TAIL_CONFIG_DIR: configDir }` and are logged in, as a user would be.
 */
import { afterAll, expect } from 'vitest';
import type { Context, GlobalOptions } from '../../src/context.js';
import type { Sandbox, SandboxUser } from '../../src/sandbox/types.js';
import { testContext } from './context.js';
import { runCli, tempConfigDir, type CliResult } from './run-cli.js';

export async function loginAs(sandbox: Sandbox, user: SandboxUser, configDir: string, profile?: string): Promise<void> {
  const argv = ['login', '--host', sandbox.url, '--email', user.email, '--password-stdin'];
  if (profile) argv.push('--profile', profile);
  const result: CliResult = await runCli(argv, {
    env: { KITSU_TAIL_CONFIG_DIR: configDir },
    stdin: `${user.password}\n`,
  });
  if (result.code !== 0) {
    throw new Error(`loginAs(${user.email}) failed with exit ${result.code}: ${result.stderr.trim()}`);
  }
}

/** Log in with a bot token (from `sandbox.control.createBot(role)`), in-process. */
export async function loginWithToken(
  sandbox: Sandbox,
  token: string,
  configDir: string,
  profile?: string,
): Promise<void> {
  const argv = ['login', '--host', sandbox.url, '--token', token];
  if (profile) argv.push('--profile', profile);
  const result = await runCli(argv, { env: { KITSU_TAIL_CONFIG_DIR: configDir } });
  if (result.code !== 0) {
    throw new Error(`loginWithToken failed with exit ${result.code}: ${result.stderr.trim()}`);
  }
}

/** A Context for calling openSession and friends directly, with its stderr collected. */
export function contextFor(
  env: Record<string, string | undefined>,
  globals: Partial<GlobalOptions> = {},
): { ctx: Context; stderr: () => string } {
  const ctx = testContext({ env, globals: { color: 'never', ...globals } });
  return { ctx, stderr: ctx.err };
}

/** A fresh config folder per call, all removed after the test file. */
export function configDirs(): () => string {
  const cleanups: (() => void)[] = [];
  afterAll(() => cleanups.forEach((cleanup) => cleanup()));
  return () => {
    const t = tempConfigDir();
    cleanups.push(t.cleanup);
    return t.dir;
  };
}

/** An expected failure: exactly one line on stderr, and no stack trace. */
export function expectOneLine(result: CliResult): void {
  expect(result.stderr.trimEnd().split('\n'), result.stderr).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}
