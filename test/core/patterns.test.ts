import { describe, expect, it } from 'vitest';
import { capabilitiesOf } from '../../src/core/capabilities.js';
import { admitsObject, parsePatterns, serverNameFilter, type ServerNameFilter } from '../../src/core/patterns.js';
import { UsageError } from '../../src/errors.js';
import { intBetween, pick, seededRandom } from '../helpers/core.js';

const newest = capabilitiesOf('1.0.67');
const v1_0_3 = capabilitiesOf('1.0.3');
const v0_19_10 = capabilitiesOf('0.19.10');

describe('parsePatterns: matching', () => {
  const cases: Array<[string[], string, boolean]> = [
    [[], 'task:new', true],
    [['*'], 'task:new', true],
    [['*'], 'a:b:c', true],
    [['task:*'], 'task:new', true],
    [['task:*'], 'task:status-changed', true],
    [['task:*'], 'task-type:new', false],
    [['task:*'], 'asset:new', false],
    [['*:delete'], 'task:delete', true],
    [['*:delete'], 'comment:delete-reply', false],
    [['*:delete'], 'preview-file:delete', true],
    [['preview-file:add-file'], 'preview-file:add-file', true],
    [['preview-file:add-file'], 'preview-file:add-files', false],
    [['task:status-*'], 'task:status-changed', true],
    [['task:status-*'], 'task:update', false],
    [['task*:*'], 'task-status:new', true],
    [['task*:*'], 'task:new', true],
    [['task*:*'], 'asset:new', false],
    [['task:?ew'], 'task:new', true],
    [['task:?ew'], 'task:nnew', false],
    [['task:n?w'], 'task:n:w', false],
    [['*:*'], 'task:new', true],
    // `*` stays inside its part: `*:new` is not `a:b:new`.
    [['*:new'], 'a:b:new', false],
    [['task:*', '!task:update'], 'task:update', false],
    [['task:*', '!task:update'], 'task:new', true],
    [['!task:update'], 'task:update', false],
    [['!task:update'], 'asset:update', true],
    [['!*:update'], 'asset:update', false],
    [['!*'], 'asset:update', false],
    [['task:new', 'asset:new'], 'asset:new', true],
    [['task:new', 'asset:new'], 'shot:new', false],
    // Patterns are lower-cased: Zou lower-cases every name it emits.
    [['Task:New'], 'task:new', true],
    [['main:test'], 'main:test', true],
    [['my_plugin.v2:run'], 'my_plugin.v2:run', true],
    // A `.` is a literal dot, not "any character".
    [['my_plugin.v2:run'], 'my_pluginxv2:run', false],
  ];
  it.each(cases)('%j on %s → %s', (patterns, name, expected) => {
    expect(parsePatterns(patterns).matches(name)).toBe(expected);
  });

  it('keeps the normalised positive and negative patterns apart', () => {
    const filter = parsePatterns(['Task:*', '!task:UPDATE', '*:delete']);
    expect(filter.include).toEqual(['task:*', '*:delete']);
    expect(filter.exclude).toEqual(['task:update']);
  });
});

describe('parsePatterns: bad patterns are usage errors that name the pattern', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /it is empty/],
    ['!', /needs a pattern after it/],
    ['!!task:new', /single '!'/],
    ['task', /did you mean 'task:\*'/],
    ['!task', /did you mean '!task:\*'/],
    ['task:', /both sides/],
    [':new', /both sides/],
    ['task::new', /both sides/],
    ['task:*:x', /event names have one ':', so nothing can match it; did you mean 'task:\*-x'/],
    ['!task:status:changed', /did you mean '!task:status-changed'/],
    ['task:*,asset:*', /its own argument/],
    ['task: new', /its own argument/],
    ['tâche:*', /'â' never appears/],
    ['task:[ab]', /'\[' never appears/],
    ['task:new\u001b[2J', /'\?' never appears/],
    ['task/new', /'\/' never appears/],
  ];
  it.each(cases)('%j', (pattern, problem) => {
    let caught: unknown;
    try {
      parsePatterns(['task:*', pattern]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    const error = caught as UsageError;
    expect(error.exitCode).toBe(2);
    // Named as typed, but with control characters shown as '?' rather than sent to the terminal.
    expect(error.message).toContain(`'${pattern.replace(/\u001b/g, '?')}'`);
    expect(error.message).not.toMatch(/[\u0000-\u001f]/);
    expect(error.message).toMatch(problem);
    expect(error.message).not.toContain('\n');
    expect(error.hint).toMatch(/'task:\*'/);
  });
});

describe('serverNameFilter', () => {
  const cases: Array<[string, string[], ServerNameFilter, ServerNameFilter?]> = [
    // [title, patterns, on the newest server, on 1.0.3 (defaults to the same)]
    ['no pattern', [], {}],
    ['only negatives', ['!task:update'], {}],
    ['the lone *', ['*', 'task:new'], {}],
    ['one exact name', ['task:status-changed'], { name: 'task:status-changed' }],
    ['one exact name, with a negative', ['task:new', '!task:update'], { name: 'task:new' }],
    ['object:*', ['task:*', 'asset:*'], { name_prefixes: ['task', 'asset'] }, {}],
    [
      'object:* and an exact name share objects',
      ['task:*', 'task:new', 'asset:new'],
      { name_prefixes: ['task', 'asset'] },
      {},
    ],
    ['*:action', ['*:delete', '*:new'], { name_suffixes: ['delete', 'new'] }, {}],
    ['mixed object:* and *:action', ['task:*', '*:delete'], {}],
    ['wildcard inside the object', ['task*:new'], { name_suffixes: ['new'] }, {}],
    ['wildcards on both sides', ['task*:*'], {}],
    ['an object the server would refuse', ['my_plugin:*'], {}],
    ['an exact name with characters the prefix filter refuses', ['my_plugin:run'], { name: 'my_plugin:run' }],
  ];
  it.each(cases)('%s', (_title, patterns, onNewest, onOld = onNewest) => {
    const filter = parsePatterns(patterns);
    expect(serverNameFilter(filter, newest)).toEqual(onNewest);
    expect(serverNameFilter(filter, v1_0_3)).toEqual(onOld);
  });

  it('sends no name filter to a server older than 0.19.28', () => {
    expect(serverNameFilter(parsePatterns(['task:new']), v0_19_10)).toEqual({});
  });

  // The server filter may keep more than the client's, never less: a row it drops is lost.
  it('never drops an event the client filter keeps (seeded property test)', () => {
    const random = seededRandom(20261129);
    const objects = ['task', 'task-type', 'asset', 'preview-file', 'a', 'ab', 'x_y', 'b-a'];
    const actions = ['new', 'update', 'delete', 'status-changed', 'add-file', 'a', 'b-a'];
    const letters = [...'ab-_'];
    const randomPart = (): string => {
      let out = '';
      for (let i = intBetween(random, 1, 4); i > 0; i -= 1) out += pick(random, letters);
      return out;
    };
    const randomName = (): string => {
      const parts = [
        random() < 0.7 ? pick(random, objects) : randomPart(),
        random() < 0.7 ? pick(random, actions) : randomPart(),
      ];
      if (random() < 0.1) parts.push(pick(random, actions));
      return parts.join(':');
    };
    const globPart = (choices: readonly string[]): string => {
      const roll = random();
      if (roll < 0.35) return pick(random, choices);
      if (roll < 0.55) return '*';
      let out = '';
      for (let i = intBetween(random, 1, 4); i > 0; i -= 1) out += pick(random, [...letters, '*', '?']);
      return out;
    };
    const randomPattern = (): string => {
      if (random() < 0.03) return '*';
      // A pattern has one ':' (a name with more is for names only: no pattern matches it).
      const body =
        random() < 0.2 ? randomName().split(':').slice(0, 2).join(':') : `${globPart(objects)}:${globPart(actions)}`;
      return random() < 0.2 ? `!${body}` : body;
    };
    const serverKeeps = (f: ServerNameFilter, name: string): boolean =>
      (f.name === undefined || f.name === name) &&
      (f.name_prefixes === undefined || f.name_prefixes.some((p) => name.startsWith(`${p}:`))) &&
      (f.name_suffixes === undefined || f.name_suffixes.some((s) => name.endsWith(`:${s}`)));

    const used = { name: 0, name_prefixes: 0, name_suffixes: 0, none: 0 };
    let kept = 0;
    for (let round = 0; round < 3000; round += 1) {
      const patterns = Array.from({ length: intBetween(random, 1, 3) }, randomPattern);
      const filter = parsePatterns(patterns);
      for (const caps of [newest, v1_0_3]) {
        const server = serverNameFilter(filter, caps);
        const key = (Object.keys(server)[0] ?? 'none') as keyof typeof used;
        used[key] += 1;
        for (let i = 0; i < 40; i += 1) {
          const name = randomName();
          if (filter.matches(name)) {
            kept += 1;
            if (!serverKeeps(server, name)) {
              throw new Error(
                `server filter ${JSON.stringify(server)} drops ${name}, kept by ${JSON.stringify(patterns)}`,
              );
            }
          }
        }
      }
    }
    // The property only means something if every kind of server filter was exercised.
    expect(used.name).toBeGreaterThan(50);
    expect(used.name_prefixes).toBeGreaterThan(50);
    expect(used.name_suffixes).toBeGreaterThan(50);
    expect(kept).toBeGreaterThan(10_000);
  });
});

describe('admitsObject', () => {
  it.each<[string[], boolean]>([
    [[], true],
    [['project:*'], true],
    [['project:update'], true],
    [['*:update'], true],
    [['pro*:*'], true],
    [['*'], true],
    [['task:*'], false],
    [['task:*', 'asset:new'], false],
    [['project-type:*'], false],
    [['!project:*'], false],
    [['!*'], false],
    [['*:*', '!p*:*'], false],
    [['!project:update'], true],
    [['!task:*'], true],
  ])('%j admits some project:* name: %s', (patterns, admits) => {
    const filter = parsePatterns(patterns);
    expect(admitsObject(filter, 'project')).toBe(admits);
    // It never says no where some project:* name would pass.
    const names = ['project:new', 'project:update', 'project:delete', 'project:set-thumbnail'];
    if (!admits) expect(names.some((n) => filter.matches(n))).toBe(false);
  });
});
