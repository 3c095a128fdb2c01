/**
 * What keep-alive saves: the same sequential GETs against the sandbox with one kept
 * connection and with a new connection per request, over http and over https (where the
 * TLS handshake is the larger part). Prints ratios; asserts no duration.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { it } from 'vitest';
import { createApiClient } from '../../src/kitsu/http.js';
import { Reporter } from '../../src/output/reporter.js';
import { startSandbox } from '../../src/sandbox/index.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'tls');
const requests = 200;

async function msPerRequest(apiUrl: string, ca: string | undefined, keepAlive: boolean): Promise<number> {
  const reporter = new Reporter(new PassThrough(), { quiet: true, verbose: false, color: false });
  const client = await createApiClient({ apiUrl, tls: { rejectUnauthorized: true, ca }, env: {}, reporter, keepAlive });
  try {
    await client.send({ method: 'GET', path: '' }); // warm up
    const start = performance.now();
    for (let i = 0; i < requests; i += 1) {
      const response = await client.send({ method: 'GET', path: '' });
      if (response.status !== 200) throw new Error(`status ${response.status}`);
    }
    return (performance.now() - start) / requests;
  } finally {
    await client.close();
  }
}

it('keep-alive against a connection per request, http and https', async () => {
  const plain = await startSandbox();
  const secure = await startSandbox({
    tls: {
      key: readFileSync(join(fixtures, 'server.key'), 'utf8'),
      cert: readFileSync(join(fixtures, 'server.pem'), 'utf8'),
    },
  });
  const ca = readFileSync(join(fixtures, 'ca.pem'), 'utf8');
  try {
    const lines: string[] = [];
    for (const [name, sandbox, caPem] of [
      ['http ', plain, undefined],
      ['https', secure, ca],
    ] as const) {
      const kept = await msPerRequest(sandbox.apiUrl, caPem, true);
      const fresh = await msPerRequest(sandbox.apiUrl, caPem, false);
      lines.push(
        `${name}: keep-alive ${kept.toFixed(2)} ms/request, new connection ${fresh.toFixed(2)} ms/request, ratio ${(fresh / kept).toFixed(1)}`,
      );
    }
    console.log(`GET /api/ x${requests}, sequential\n${lines.join('\n')}`);
  } finally {
    await Promise.all([plain.close(), secure.close()]);
  }
});
