/**
 * Why the event stream cannot be reached, said in words: the last transport tried is polling,
 * whose failures engine.io-client reports as "status 0" with the real error beside it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { botEnv, startInProcess } from '../helpers/listen.js';
import { tempConfigDir } from '../helpers/run-cli.js';
import { closedPort, startTlsFront } from '../helpers/transport.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'tls');
let sandbox: Sandbox;
const tmp = tempConfigDir();

beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
  tmp.cleanup();
});

describe('an event host that cannot be reached', () => {
  it('says the connection was refused (it said "HTTP 0")', async () => {
    const port = await closedPort();
    const env = { ...botEnv(sandbox, tmp.dir), KITSU_EVENT_HOST: `http://127.0.0.1:${port}` };
    const live = startInProcess(['listen', '--max-reconnects', '0'], env);
    expect(await live.exit).toBe(5);
    expect(live.stderr()).toContain('the event stream is down (connection refused)');
  });

  it('says its certificate cannot be verified', async () => {
    const front = await startTlsFront(sandbox.port, {
      key: readFileSync(join(fixtures, 'public-server.key'), 'utf8'),
      cert: readFileSync(join(fixtures, 'public-server.pem'), 'utf8'),
    });
    try {
      const env = { ...botEnv(sandbox, tmp.dir), KITSU_EVENT_HOST: `https://127.0.0.1:${front.port}` };
      const live = startInProcess(['listen', '--max-reconnects', '0'], env);
      expect(await live.exit).toBe(5);
      expect(live.stderr()).toContain(`the TLS certificate of 127.0.0.1:${front.port} cannot be verified`);
    } finally {
      await front.close();
    }
  });
});
