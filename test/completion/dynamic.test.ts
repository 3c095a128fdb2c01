/**
 * Dynamic completion (issue 11): saved profile names, event names (Zou's own and those the
 * server's log holds) and project names, from a test profile and its cache, with no network.
 * The profiles and the cache are made the real way (`login` to a sandbox, which fills the cache
 * once); then the sandbox goes, a listener counting connections takes its port, and bash
 * completes lines through the generated script and the built program: every answer comes from
 * local files, and nothing connects.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli.js';
import { ZOU_EVENT_NAMES } from '../../src/core/event-names.js';
import { allCommands, commandSpec, DYNAMIC_ARGUMENTS, DYNAMIC_OPTIONS } from '../../src/output/completion/spec.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { completionCacheFile, readCompletionNames } from '../../src/store/completion-cache.js';
import { bashCompletions } from '../helpers/bash-completion.js';
import { fishCompletions } from '../helpers/fish-completion.js';
import { hasShell as has } from '../helpers/shells.js';
import { zshCompletions } from '../helpers/zsh-completion.js';
import { testContext } from '../helpers/context.js';
import { loginAs } from '../helpers/login.js';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';

const root = join(import.meta.dirname, '..', '..');
const config = tempConfigDir();
const work = mkdtempSync(join(tmpdir(), 'kitsu-tail-dynamic-'));
let sandbox: Sandbox | undefined;
let apiUrl: string;
let projects: string[];
/** Takes the sandbox's port once it is gone: any connection on TAB would show up here. */
let watcher: Server | undefined;
let connections = 0;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 3, events: 200 });
  // A name only this server's log holds (a plugin's): completion knows it from the server's list.
  sandbox.control.emit('render-farm:job-done', { job: 7 });
  await loginAs(sandbox, sandbox.users.admin, config.dir);
  await loginAs(sandbox, sandbox.users.artist, config.dir, 'studio-artist');
  apiUrl = sandbox.apiUrl;
  projects = sandbox.projects.map((p) => p.name);
  const port = sandbox.port;
  await sandbox.close();
  sandbox = undefined;
  watcher = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    watcher!.once('error', reject);
    watcher!.listen(port, '127.0.0.1', () => resolve());
  });
});

afterAll(async () => {
  await sandbox?.close();
  await new Promise<void>((resolve) => (watcher ? watcher.close(() => resolve()) : resolve()));
  config.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('the completion cache, filled by commands that asked the server anyway', () => {
  it('login keeps the projects and the names the log holds; an artist, who may not list names, only projects', () => {
    const admin = readCompletionNames(config.dir, 'default', apiUrl);
    expect(admin.projects).toEqual([...projects].sort());
    expect(admin.events).toContain('render-farm:job-done');
    expect(admin.events).toContain('task:status-changed');
    const artist = readCompletionNames(config.dir, 'studio-artist', apiUrl);
    expect(artist.projects!.length).toBeGreaterThan(0);
    expect(artist.events).toEqual([]);
    // Another server for the same profile name: none of these names.
    expect(readCompletionNames(config.dir, 'default', 'http://127.0.0.1:1/api')).toEqual({});
  });
});

describe('kitsu-tail __complete (what the scripts call)', () => {
  const complete = async (...argv: string[]): Promise<string[]> => {
    const result = await runCli(argv, { env: { KITSU_TAIL_CONFIG_DIR: config.dir } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    return result.stdout.split('\n').filter(Boolean);
  };

  it('profiles, event names (with !), projects by any case, for the profile asked', async () => {
    expect(await complete('__complete', 'profiles')).toEqual(['default', 'studio-artist']);
    expect(await complete('__complete', 'profiles', 'stu')).toEqual(['studio-artist']);
    expect(await complete('__complete', 'events', '--', 'task:st')).toEqual(['task:status-changed']);
    expect(await complete('__complete', 'events', '--', '!comment:ack')).toEqual(['!comment:acknowledge']);
    expect(await complete('__complete', 'events', '--', 'render')).toEqual(['render-farm:*', 'render-farm:job-done']);
    // The artist's server list is empty: Zou's own names only.
    expect(await complete('--profile', 'studio-artist', '__complete', 'events', '--', 'render')).toEqual([]);
    const first = projects[0]!;
    expect(await complete('__complete', 'projects', '--', first.slice(0, 4).toLowerCase())).toContain(first);
    expect(await complete('--profile', 'nobody', '__complete', 'projects')).toEqual([]);
    expect(connections).toBe(0);
  });

  it('a missing or damaged config folder offers nothing, quietly', async () => {
    const empty = join(work, 'no-config');
    for (const kind of ['profiles', 'events', 'projects']) {
      const result = await runCli(['__complete', kind], { env: { KITSU_TAIL_CONFIG_DIR: empty } });
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
    }
    const damaged = join(work, 'damaged');
    mkdirSync(damaged);
    writeFileSync(join(damaged, 'config.json'), '{"profiles": ');
    const result = await runCli(['__complete', 'profiles'], { env: { KITSU_TAIL_CONFIG_DIR: damaged } });
    expect([result.code, result.stdout, result.stderr]).toEqual([0, '', '']);
  });

  it('every option and argument said to complete dynamically is one the program has', () => {
    const commands = allCommands(commandSpec(createProgram(testContext())));
    for (const [flag, source] of Object.entries(DYNAMIC_OPTIONS)) {
      const options = commands.flatMap((c) => c.options).filter((o) => o.long === flag);
      expect(options.length, flag).toBeGreaterThan(0);
      for (const option of options) expect(option.value).toEqual({ kind: 'dynamic', source });
    }
    for (const [key, source] of Object.entries(DYNAMIC_ARGUMENTS)) {
      const [path, name] = key.split('/') as [string, string];
      const found = commands
        .filter((c) => path === '*' || c.path.join(' ') === path)
        .flatMap((c) => c.arguments)
        .filter((a) => a.name === name);
      expect(found.length, key).toBeGreaterThan(0);
      for (const argument of found) expect(argument.value).toEqual({ kind: 'dynamic', source });
    }
  });

  it('is hidden: not in the help, the scripts offer it nowhere, an unknown command does not list it', async () => {
    const help = await runCli(['--help']);
    expect(help.stdout).not.toContain('__complete');
    const unknown = await runCli(['nosuch']);
    expect(unknown.stderr).not.toContain('__complete');
    const script = await runCli(['completion', 'bash']);
    expect(script.stdout).not.toMatch(/"__complete"/);
  });
});

/**
 * A `kitsu-tail` on PATH that runs the built program (as an installed one would), and the
 * environment a shell completes in: that PATH, the test profiles, a HOME of its own.
 */
function shellEnvironment(): NodeJS.ProcessEnv {
  const bin = join(work, 'bin');
  mkdirSync(bin, { recursive: true });
  const program = join(bin, 'kitsu-tail');
  writeFileSync(
    program,
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(root, 'bin', 'kitsu-tail.js'))} "$@"\n`,
  );
  chmodSync(program, 0o755);
  expect(existsSync(join(root, 'dist', 'main.js'))).toBe(true);
  return { PATH: `${bin}:/usr/bin:/bin`, KITSU_TAIL_CONFIG_DIR: config.dir, HOME: work };
}

/** A project whose name has a space, if the sandbox has one, and its first word. */
function spacedProject(): { name: string; firstWord: string } {
  const name = projects.find((project) => project.includes(' ')) ?? projects[0]!;
  return { name, firstWord: name.split(' ')[0]! };
}

describe('bash, through the generated script and the built program (no network)', () => {
  it('completes profiles, event names across the : bash splits at, and projects', () => {
    const env = shellEnvironment();
    const script = join(root, 'completions', 'kitsu-tail.bash');
    const { name: first, firstWord } = spacedProject();

    // [command line typed so far, what COMPREPLY should hold (what bash puts in place of the last word)]
    const cases: Array<[string, string]> = [
      ['kitsu-tail profiles use ', 'default studio-artist'],
      ['kitsu-tail profiles remove st', 'studio-artist'],
      ['kitsu-tail --profile d', 'default'],
      ['kitsu-tail logs --profile=stu', 'studio-artist'],
      // bash splits `task:st` into task : st and replaces only `st`.
      ['kitsu-tail logs task:st', 'status-changed'],
      ['kitsu-tail listen preview-file:add', 'add-file'],
      ["kitsu-tail logs 'task:*' --exclude task:to", 'to-review'],
      ['kitsu-tail listen !comment:ack', 'acknowledge'],
      ['kitsu-tail logs render', 'render-farm:* render-farm:job-done'],
      ['kitsu-tail --profile studio-artist logs render', ''],
      [`kitsu-tail logs --project ${firstWord}`, first.replace(/ /g, '\\ ')],
      [`kitsu-tail listen --project=${firstWord}`, first.replace(/ /g, '\\ ')],
      ['kitsu-tail logs --project zzz-none', ''],
      // Static completion is as before.
      ['kitsu-tail logs --form', '--format'],
    ];
    const offered = bashCompletions(
      script,
      cases.map(([line]) => line),
      { cwd: work, env },
    );
    expect(offered).toEqual(cases.map(([, expected]) => expected));
    expect(connections).toBe(0);
  });

  it('the cache file is private to the account (project names are the studio’s)', () => {
    expect(statSync(completionCacheFile(config.dir, 'default')).mode & 0o077).toBe(0);
    expect(ZOU_EVENT_NAMES).toContain('task:status-changed');
  });
});

/** The event names __complete offers for a prefix (asserted above), to compare the shells with. */
async function eventNames(prefix: string): Promise<string[]> {
  const result = await runCli(['__complete', 'events', '--', prefix], { env: { KITSU_TAIL_CONFIG_DIR: config.dir } });
  return result.stdout.split('\n').filter(Boolean).sort();
}

/** [command line typed so far, the candidates the shell should offer (sorted)], for fish and zsh. */
async function dynamicCases(shell: 'fish' | 'zsh'): Promise<Array<[string, string[]]>> {
  const { name: first, firstWord } = spacedProject();
  const task = await eventNames('task:');
  const notTask = await eventNames('!task:');
  expect(task).toContain('task:status-changed');
  expect(notTask).toContain('!task:status-changed');
  return [
    ['kitsu-tail profiles use ', ['default', 'studio-artist']],
    ['kitsu-tail profiles remove st', ['studio-artist']],
    ['kitsu-tail logs --profile ', ['default', 'studio-artist']],
    ['kitsu-tail --profile d', ['default']],
    // fish offers the whole word back; zsh what goes after the =.
    ['kitsu-tail logs --profile=stu', [shell === 'fish' ? '--profile=studio-artist' : 'studio-artist']],
    ['kitsu-tail logs task:', task],
    // In an interactive zsh an unquoted ! starts a history expansion (zsh completes its
    // modifiers there), so a zsh user quotes it; fish gives ! no meaning inside a word.
    [shell === 'zsh' ? "kitsu-tail listen '!task:" : 'kitsu-tail listen !task:', notTask],
    ['kitsu-tail logs task:st', ['task:status-changed']],
    ["kitsu-tail logs 'task:*' --exclude task:to", ['task:to-review']],
    ['kitsu-tail logs render', ['render-farm:*', 'render-farm:job-done']],
    // That profile's server gave no names of its own: Zou's only.
    ['kitsu-tail --profile studio-artist logs render', []],
    ['kitsu-tail --profile=studio-artist listen render', []],
    ['kitsu-tail logs --profile studio-artist render', []],
    [`kitsu-tail logs --project ${firstWord}`, [first]],
    ['kitsu-tail logs --project zzz-none', []],
    // Static completion works beside it.
    ['kitsu-tail logs --form', ['--format']],
    ['kitsu-tail logs --format ', ['csv', 'json', 'ndjson', 'table']],
  ];
}

describe.skipIf(!has('fish'))('fish, through the committed script and the built program (no network)', () => {
  it('completes profiles, event names (after task: and !task:), projects with spaces, and options', async () => {
    const env = shellEnvironment();
    const cases = await dynamicCases('fish');
    const offered = fishCompletions(
      join(root, 'completions', 'kitsu-tail.fish'),
      cases.map(([line]) => line),
      { cwd: work, env },
    );
    expect(Object.fromEntries(cases.map(([line], i) => [line, offered[i]]))).toEqual(Object.fromEntries(cases));
    expect(connections).toBe(0);
  });
});

describe.skipIf(!has('zsh'))('zsh, through compinit, the committed script and the built program (no network)', () => {
  it('completes profiles, event names (after task: and !task:), projects with spaces, and options', async () => {
    const env = shellEnvironment();
    const cases = await dynamicCases('zsh');
    const offered = zshCompletions(
      join(root, 'completions', 'kitsu-tail.zsh'),
      cases.map(([line]) => line),
      { work, env },
    );
    // The helper reports what zsh puts on the line: a space or a * outside quotes is escaped,
    // so the program gets `Moonlit Harbor` as one word and `task:*` unglobbed.
    const inserted = cases.map(([line, names]): [string, string[]] => [
      line,
      line.includes("'") ? names : names.map((name) => name.replace(/[ *]/g, '\\$&')),
    ]);
    expect(Object.fromEntries(cases.map(([line], i) => [line, offered[i]]))).toEqual(Object.fromEntries(inserted));
    expect(connections).toBe(0);
  });
});
