/**
 * The set-up the export tests share: a sandbox with some history, a bot session's environment,
 * and for each test a fresh folder with `state.json` and `events.ndjson` paths in it.
 * Call at the top of a test file; read the fields inside the tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox, SandboxOptions } from '../../src/sandbox/types.js';
import { botEnv } from './logs.js';
import { runCli, tempConfigDir, type CliResult } from './run-cli.js';

export interface ExportFixture {
  sandbox: Sandbox;
  /** KITSU_HOST, KITSU_TOKEN (an admin bot) and a config folder of its own. */
  admin: Record<string, string>;
  /** This test's folder, removed after it. */
  dir: string;
  state: string;
  out: string;
  /** `logs ARGV…` in-process as the admin bot. */
  logs(...argv: string[]): Promise<CliResult>;
  /** `logs --checkpoint STATE --output OUT ARGV…`. */
  exportRun(...argv: string[]): Promise<CliResult>;
}

export function useExportFixture(sandboxOptions: SandboxOptions, folderPrefix: string): ExportFixture {
  let config: ReturnType<typeof tempConfigDir> | undefined;
  const fixture = {
    logs: (...argv: string[]) => runCli(['logs', ...argv], { env: fixture.admin }),
    exportRun: (...argv: string[]) => fixture.logs('--checkpoint', fixture.state, '--output', fixture.out, ...argv),
  } as ExportFixture;
  beforeAll(async () => {
    fixture.sandbox = await startSandbox(sandboxOptions);
    config = tempConfigDir();
    fixture.admin = botEnv(fixture.sandbox, 'admin', config.dir);
  });
  beforeEach(() => {
    fixture.dir = mkdtempSync(join(tmpdir(), `kitsu-tail-${folderPrefix}-`));
    fixture.state = join(fixture.dir, 'state.json');
    fixture.out = join(fixture.dir, 'events.ndjson');
    return () => rmSync(fixture.dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await fixture.sandbox?.close();
    config?.cleanup();
  });
  return fixture;
}
