/**
 * `--exec` and an event whose name holds a NUL (only a broken or hostile server sends one): the
 * environment cannot carry the character, and spawn's refusal used to skip the event without a
 * word. The command now runs, with U+FFFD in the variables and the exact record on stdin, and
 * the run says so once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/core/record.js';
import { eventEnvironment } from '../../src/listen/exec.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { botEnv, startInProcess, waitUntil } from '../helpers/listen.js';
import { tempConfigDir } from '../helpers/run-cli.js';

let sandbox: Sandbox;
const tmp = tempConfigDir();
beforeAll(async () => {
  sandbox = await startSandbox({ seed: 11 });
});
afterAll(async () => {
  await sandbox.close();
  tmp.cleanup();
});

describe('listen --exec and a NUL in the event name', () => {
  it('runs the command for it, with the name made safe in the environment and exact on stdin', async () => {
    const out = join(tmp.dir, 'exec-nul.txt');
    const command = `printf '%s|' "$KITSU_EVENT_NAME" >> ${out}; cat >> ${out}`;
    const live = startInProcess(['listen', '--json', '--count', '3', '--exec', command], botEnv(sandbox, tmp.dir));
    try {
      await live.waitForStderr('connected to');
      await waitUntil(() => sandbox.control.connectedSockets() >= 1, 'the socket to be counted');
      sandbox.control.emit('task:new', { n: 1 });
      sandbox.control.emit('task:n\u0000ul', { n: 2 });
      sandbox.control.emit('task:new', { n: 3 });
      expect(await live.exit, live.stderr()).toBe(0);
    } finally {
      live.interrupt();
      await live.exit;
    }
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines.map((line) => line.split('|')[0])).toEqual(['task:new', 'task:n\uFFFDul', 'task:new']);
    const record = JSON.parse(lines[1]!.split('|')[1]!) as EventRecord;
    expect(record.name).toBe('task:n\u0000ul');
    expect(live.stderr().match(/NUL character/g)).toHaveLength(1);
  });

  it('gives the command only variables an environment can hold', () => {
    const env = eventEnvironment({
      id: 'a\u0000b',
      name: 'x:\u0000',
      created_at: '2026-11-29T08:00:01Z',
      user_id: null,
      project_id: '\u0000',
      data: { t: '\u0000' },
      source: 'live',
    });
    for (const value of Object.values(env)) expect(value).not.toContain('\u0000');
    expect(env.KITSU_EVENT_DATA).toBe('{"t":"\\u0000"}');
  });
});
