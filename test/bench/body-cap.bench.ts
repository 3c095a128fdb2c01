/**
 * What the answer-size cap saves: a broken server streams 256 MB (chunked, no length) at two
 * clients in one run: the REST client with its 64 MB cap, and a plain undici read of the whole
 * body, which is what the client did before. Prints the peak memory each held and the ratio;
 * asserts no duration.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { it } from 'vitest';
import { createApiClient, MAX_BODY_BYTES } from '../../src/kitsu/http.js';
import { Reporter } from '../../src/output/reporter.js';

const TOTAL_MB = 256;

function hugeServer(): Promise<{ server: Server; url: string }> {
  const chunk = Buffer.alloc(1024 * 1024, 'x');
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    let sent = 0;
    res.on('close', () => (sent = Infinity));
    const more = () => {
      while (sent < TOTAL_MB) {
        sent += 1;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      if (sent === TOTAL_MB) res.end();
    };
    res.write('["');
    more();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

/** Peak of heap + array buffers above the start while `work` runs, in MB. */
async function peakMb(work: () => Promise<unknown>): Promise<number> {
  global.gc?.();
  const used = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const base = used();
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, used())), 5);
  try {
    await work().catch(() => undefined);
  } finally {
    clearInterval(sampler);
    peak = Math.max(peak, used());
  }
  return (peak - base) / (1024 * 1024);
}

it(`a ${TOTAL_MB} MB answer: the capped client against reading it whole`, async () => {
  const { server, url } = await hugeServer();
  const reporter = new Reporter(new PassThrough(), { quiet: true, verbose: false, color: false });
  const client = await createApiClient({
    apiUrl: `${url}/api`,
    tls: { rejectUnauthorized: true },
    env: {},
    reporter,
    retries: 0,
  });
  try {
    const capped = await peakMb(() => client.send({ method: 'GET', path: 'data/events/last' }));
    const whole = await peakMb(async () => (await fetch(`${url}/api/data/events/last`)).text());
    console.log(
      [
        `answer of ${TOTAL_MB} MB, cap ${MAX_BODY_BYTES / (1024 * 1024)} MB`,
        `  capped client: peak ${capped.toFixed(0)} MB, then exit 6`,
        `  read whole:    peak ${whole.toFixed(0)} MB`,
        `  ratio whole/capped: ${(whole / capped).toFixed(1)}x`,
      ].join('\n'),
    );
  } finally {
    await client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
