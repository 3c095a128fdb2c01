import { chmodSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, UsageError } from '../../src/errors.js';
import { configDir } from '../../src/store/paths.js';
import { chosenProfileName, forgetProfile, openStore, type StoredProfile } from '../../src/store/profiles.js';
import { tempConfigDir } from '../helpers/run-cli.js';

const temps: (() => void)[] = [];
afterEach(() => temps.splice(0).forEach((cleanup) => cleanup()));
function tmp(): string {
  const t = tempConfigDir();
  temps.push(t.cleanup);
  return t.dir;
}

function profile(accessToken: string): StoredProfile {
  return {
    host: 'https://kitsu.example.com',
    apiUrl: 'https://kitsu.example.com/api',
    eventUrl: 'https://kitsu.example.com',
    socketPath: '/socket.io',
    user: { id: 'u1', email: 'a@example.com', full_name: 'A', role: 'admin' },
    serverVersion: '1.0.67',
    accessToken,
    refreshToken: `${accessToken}-refresh`,
    bot: false,
    loggedInAt: '2026-11-29T08:00:00.000Z',
  };
}

describe('config folder', () => {
  it('is KITSU_TAIL_CONFIG_DIR when set, else the platform convention', () => {
    expect(configDir({ KITSU_TAIL_CONFIG_DIR: '/x/y' })).toBe('/x/y');
    expect(configDir({ HOME: '/home/a' }, 'linux')).toBe('/home/a/.config/kitsu-tail');
    expect(configDir({ HOME: '/home/a', XDG_CONFIG_HOME: '/cfg' }, 'linux')).toBe('/cfg/kitsu-tail');
    expect(configDir({ HOME: '/Users/a' }, 'darwin')).toBe('/Users/a/Library/Preferences/kitsu-tail');
    expect(configDir({ APPDATA: 'C:\\AppData' }, 'win32')).toContain('kitsu-tail');
  });
});

describe('profile store', () => {
  it('writes the file 0600 in a folder 0700, even when both existed with looser modes', async () => {
    const dir = join(tmp(), 'conf');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'config.json'), '{"profiles":{}}', { mode: 0o644 });
    chmodSync(join(dir, 'config.json'), 0o644);
    const store = await openStore({ KITSU_TAIL_CONFIG_DIR: dir });
    await store.update((data) => {
      data.profiles.default = profile('tok-1');
    });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(store.path, 'utf8')).profiles.default.accessToken).toBe('tok-1');
  });

  it('tightens a loose file even when nothing is written', async () => {
    const dir = join(tmp(), 'conf');
    mkdirSync(dir, { mode: 0o777 });
    chmodSync(dir, 0o777);
    writeFileSync(join(dir, 'config.json'), '{"profiles":{}}');
    chmodSync(join(dir, 'config.json'), 0o666);
    await openStore({ KITSU_TAIL_CONFIG_DIR: dir });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600);
  });

  it('loses no change when many writers update at once, each on a fresh read', async () => {
    const dir = tmp();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore({ KITSU_TAIL_CONFIG_DIR: dir })));
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        stores[i % stores.length]!.update(async (data) => {
          // Yield between read and write: without the lock, writers would overwrite each other.
          await new Promise((resolve) => setTimeout(resolve, 1));
          data.profiles[`p${i}`] = profile(`tok-${i}`);
        }),
      ),
    );
    const data = stores[0]!.read();
    expect(Object.keys(data.profiles)).toHaveLength(40);
  });

  it('takes over a lock left by a dead process', async () => {
    const dir = tmp();
    const store = await openStore({ KITSU_TAIL_CONFIG_DIR: dir });
    const lock = `${store.path}.lock`;
    writeFileSync(lock, 'someone-dead');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    await store.update((data) => {
      data.profiles.default = profile('tok');
    });
    expect(store.read().profiles.default?.accessToken).toBe('tok');
  });

  it('says when the config folder cannot be used, naming it, instead of crashing', async () => {
    const file = join(tmp(), 'not-a-folder');
    writeFileSync(file, '');
    for (const dir of [file, join(file, 'sub')]) {
      const error = await openStore({ KITSU_TAIL_CONFIG_DIR: dir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).message).toBe(`cannot use the config folder ${dir} (a file is in the way)`);
      expect((error as UsageError).hint).toContain('KITSU_TAIL_CONFIG_DIR');
    }
  });

  it('says a damaged file is damaged, with exit 3 and what to do', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'config.json'), '{"profiles": {');
    const error = await openStore({ KITSU_TAIL_CONFIG_DIR: dir }).then(
      (store) => store.read(),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toContain('damaged');
    expect((error as AuthError).hint).toContain('delete it');
  });

  it('chooses --profile over KITSU_PROFILE over the default', () => {
    const data = { defaultProfile: 'main', profiles: {} };
    expect(chosenProfileName(data, 'flag', { KITSU_PROFILE: 'env' })).toBe('flag');
    expect(chosenProfileName(data, undefined, { KITSU_PROFILE: 'env' })).toBe('env');
    expect(chosenProfileName(data, undefined, {})).toBe('main');
    expect(chosenProfileName({ profiles: {} }, undefined, {})).toBe('default');
    expect(() => chosenProfileName(data, '../etc', {})).toThrow(/not allowed/);
  });

  it('moves the default to the first remaining profile when the default is forgotten', () => {
    const data = { defaultProfile: 'b', profiles: { a: profile('1'), b: profile('2'), c: profile('3') } };
    expect(forgetProfile(data, 'c')).toBeUndefined();
    expect(forgetProfile(data, 'b')).toBe('a');
    expect(data.defaultProfile).toBe('a');
    expect(forgetProfile(data, 'a')).toBeUndefined();
    expect(data.defaultProfile).toBeUndefined();
  });
});
