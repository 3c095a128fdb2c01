/**
 * `--ca-file` adds a studio's CA to the public roots for the event stream as it does for the
 * REST calls, rather than replacing them: an API and an event host may be certified by
 * either. A public root is played by a second test CA added to node:tls's rootCertificates
 * (for this file only), since no publicly certified server is reachable from a test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { botEnv, startInProcess, waitUntil } from '../helpers/listen.js';
import { tempConfigDir } from '../helpers/run-cli.js';
import { startTlsFront } from '../helpers/transport.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'tls');
const pem = (name: string) => readFileSync(join(fixtures, name), 'utf8');

vi.mock('node:tls', async (importOriginal) => {
  const tls = await importOriginal<typeof import('node:tls')>();
  const { readFileSync: read } = await import('node:fs');
  const { join: joinPath } = await import('node:path');
  const standIn = read(joinPath(import.meta.dirname, '..', 'fixtures', 'tls', 'public-ca.pem'), 'utf8');
  return { ...tls, rootCertificates: [...tls.rootCertificates, standIn] };
});

let sandbox: Sandbox;
let studio: { port: number; close(): Promise<void> };
let publicly: { port: number; close(): Promise<void> };
const tmp = tempConfigDir();

beforeAll(async () => {
  sandbox = await startSandbox();
  studio = await startTlsFront(sandbox.port, { key: pem('server.key'), cert: pem('server.pem') });
  publicly = await startTlsFront(sandbox.port, { key: pem('public-server.key'), cert: pem('public-server.pem') });
});
afterAll(async () => {
  await Promise.all([studio.close(), publicly.close()]);
  await sandbox.close();
  tmp.cleanup();
});

async function listenOnce(api: number, events: number, taskId: string): Promise<void> {
  const env = {
    ...botEnv(sandbox, tmp.dir),
    KITSU_HOST: `https://127.0.0.1:${api}`,
    KITSU_EVENT_HOST: `https://127.0.0.1:${events}`,
  };
  const argv = [
    'listen',
    '--json',
    '--count',
    '1',
    '--no-backfill',
    '--max-reconnects',
    '0',
    '--ca-file',
    join(fixtures, 'ca.pem'),
  ];
  const live = startInProcess(argv, env);
  let exited = false;
  void live.exit.then(() => (exited = true));
  const connected = () => live.stderr().includes(`connected to https://127.0.0.1:${events}/socket.io`);
  await live.waitFor(() => connected() || exited, 'the stream to connect or the run to end');
  expect(connected(), live.stderr()).toBe(true);
  await waitUntil(() => sandbox.control.connectedSockets() >= 1, 'the socket to be counted');
  sandbox.control.emit('task:update', { task_id: taskId });
  expect(await live.exit, live.stderr()).toBe(0);
  expect(live.records().map((r) => r.data.task_id)).toEqual([taskId]);
}

describe('the event stream trusts --ca-file in addition to the public roots', () => {
  it('reaches a publicly certified event host beside an API on the studio CA', async () => {
    await listenOnce(studio.port, publicly.port, 'public-events');
  });

  it('reaches an event host on the studio CA beside a publicly certified API', async () => {
    await listenOnce(publicly.port, studio.port, 'studio-events');
  });
});
