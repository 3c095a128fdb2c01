/**
 * The config store trusts no file it did not make: a config.json that is a link (planted while
 * the folder was loose), not a regular file, or another user's is refused before anything
 * touches it, and no error quotes a file's content. A folder that cannot be created fails at
 * once, naming it.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError, UsageError } from '../../src/errors.js';
import { openStore } from '../../src/store/profiles.js';
import { ROOT } from '../helpers/listen.js';
import { configDirs } from '../helpers/login.js';

/** A fresh folder per call, removed after the file. */
const tmp = configDirs();

const SECRET = 'victim-secret-1234';

/** A loose config folder, and a file of someone else's that a planted link could aim at. */
function looseFolderAndVictim(): { dir: string; victim: string } {
  const base = tmp();
  const dir = join(base, 'conf');
  mkdirSync(dir);
  chmodSync(dir, 0o777);
  const victim = join(base, 'victim.txt');
  writeFileSync(victim, `${SECRET}\n`);
  chmodSync(victim, 0o644);
  return { dir, victim };
}

async function openError(env: Record<string, string>): Promise<unknown> {
  return openStore(env).then(
    (store) => store.read(),
    (e: unknown) => e,
  );
}

describe('a config.json that is not a plain file of ours', () => {
  it('is refused when it is a link, and the file it names keeps its mode and is not shown', async () => {
    const { dir, victim } = looseFolderAndVictim();
    symlinkSync(victim, join(dir, 'config.json'));
    const error = await openError({ KITSU_TAIL_CONFIG_DIR: dir });
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toBe(
      `the config file ${join(dir, 'config.json')} is a symbolic link, so kitsu-tail will not use it`,
    );
    expect((error as CliError).hint).toContain('remove it');
    expect(statSync(victim).mode & 0o777).toBe(0o644);
    expect(readFileSync(victim, 'utf8')).toBe(`${SECRET}\n`);
  });

  it('is refused when it is a link to a file that is valid JSON', async () => {
    const { dir, victim } = looseFolderAndVictim();
    writeFileSync(victim, '{"profiles":{}}');
    symlinkSync(victim, join(dir, 'config.json'));
    const error = await openError({ KITSU_TAIL_CONFIG_DIR: dir });
    expect((error as CliError).message).toContain('is a symbolic link');
  });

  it('is refused when it is a folder', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'config.json'));
    const error = await openError({ KITSU_TAIL_CONFIG_DIR: dir });
    expect((error as CliError).message).toContain('is not a regular file');
  });

  it.runIf(process.getuid?.() === 0)('is refused when another user owns it', async () => {
    const dir = tmp();
    const file = join(dir, 'config.json');
    writeFileSync(file, '{"profiles":{}}');
    chownSync(file, 4321, 4321);
    const error = await openError({ KITSU_TAIL_CONFIG_DIR: dir });
    expect((error as CliError).message).toContain('belongs to another user (uid 4321)');
  });

  it('that is damaged is said to be, without quoting it', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'config.json'), `${SECRET} {"profiles": {`);
    const error = await openError({ KITSU_TAIL_CONFIG_DIR: dir });
    expect((error as CliError).message).toBe(
      `the config file ${join(dir, 'config.json')} is damaged (it is not valid JSON)`,
    );
  });
});

describe('a config folder that cannot be created', () => {
  it('is a usage error naming it, from the store', async () => {
    const error = await openError({ KITSU_TAIL_CONFIG_DIR: '/proc/nope' });
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe('cannot use the config folder /proc/nope (it cannot be created there)');
  });

  it('ends the command at once with exit 2 (it spun for ever)', async () => {
    // Run as a process: the old code spun at full CPU, deaf to signals, so only SIGKILL ends it.
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [join(ROOT, 'bin', 'kitsu-tail.js'), 'whoami'],
        {
          env: { ...process.env, KITSU_TAIL_CONFIG_DIR: '/proc/nope/deeper', KITSU_TOKEN: '', KITSU_HOST: '' },
          timeout: 60_000,
          killSignal: 'SIGKILL',
        },
        (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }),
      );
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'kitsu-tail: cannot use the config folder /proc/nope/deeper (it cannot be created there) (point KITSU_TAIL_CONFIG_DIR at a folder you can write)\n',
    );
  });
});
