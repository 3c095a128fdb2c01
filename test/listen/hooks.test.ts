/**
 * What `--forward-to` does with each answer of the hook (retry only what can succeed later,
 * drop a refusal at once, count both), its signatures, and the `--exec` failure policy.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { retryAfterMs, signatureHeader } from '../../src/listen/forward.js';
import { listenSuite } from '../helpers/listen-suite.js';

const suite = listenSuite({ seed: 17 });
const { listen } = suite;

interface Delivery {
  n: number;
  body: string;
  headers: IncomingHttpHeaders;
  at: number;
}

/**
 * A hook that answers each event by its `data.n`: `answers[n]` is a list of replies, one per
 * try, the last repeated ([status, headers?]); 200 when none is given.
 */
async function startHook(
  answers: Record<number, [number, Record<string, string>?][]>,
): Promise<{ url: string; deliveries: Delivery[]; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const tries = new Map<number, number>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const n = (JSON.parse(body) as { data: { n: number } }).data.n;
      deliveries.push({ n, body, headers: req.headers, at: Date.now() });
      const i = tries.get(n) ?? 0;
      tries.set(n, i + 1);
      const list = answers[n] ?? [[200]];
      const [status, headers] = list[Math.min(i, list.length - 1)]!;
      res.writeHead(status, headers ?? {}).end(String(status));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    deliveries,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const emitNumbered = (count: number) => {
  for (let n = 0; n < count; n += 1)
    suite.sandbox.control.emit('task:update', { n, project_id: suite.sandbox.projects[0]!.id });
};

describe('listen --forward-to, answer by answer', () => {
  it('drops an event the hook refuses with 400, 404 or 410 at once, says so once per status, and counts them in the exit code', async () => {
    const hook = await startHook({ 0: [[404]], 1: [[404]], 2: [[400]], 3: [[410]], 4: [[200]] });
    try {
      const live = await listen(['--json', '--count', '5', '--forward-to', hook.url]);
      emitNumbered(5);
      expect(await live.exit).toBe(1);
      // One try each, in order, nothing held behind a refusal.
      expect(hook.deliveries.map((d) => d.n)).toEqual([0, 1, 2, 3, 4]);
      const err = live.stderr();
      expect(err.match(/\[404\]/g)).toHaveLength(1);
      expect(err.match(/\[400\]/g)).toHaveLength(1);
      expect(err.match(/\[410\]/g)).toHaveLength(1);
      expect(err).not.toMatch(/retrying/);
      expect(err).toMatch(
        /the run ended with 4 events not forwarded \(5 events, 0 reconnects, 0 backfilled, 4 not forwarded\)/,
      );
      expect(live.records()).toHaveLength(5);
    } finally {
      await hook.close();
    }
  });

  it('waits as long as a 429 Retry-After asks, then delivers in order', async () => {
    const hook = await startHook({ 0: [[429, { 'retry-after': '1' }], [200]] });
    try {
      const live = await listen(['--json', '--count', '2', '--forward-to', hook.url]);
      emitNumbered(2);
      expect(await live.exit).toBe(0);
      expect(hook.deliveries.map((d) => d.n)).toEqual([0, 0, 1]);
      expect(live.stderr()).toMatch(/\[429\] .* retrying in 1\.0 s as Retry-After asks \(try 2 of 5\)/);
    } finally {
      await hook.close();
    }
  });

  it('retries a 503 with back-off and gives up after five tries, counting it', async () => {
    const hook = await startHook({ 0: [[503]] });
    try {
      const live = await listen(['--json', '--count', '2', '--forward-to', hook.url]);
      emitNumbered(2);
      expect(await live.exit).toBe(1);
      expect(hook.deliveries.filter((d) => d.n === 0)).toHaveLength(5);
      expect(hook.deliveries[hook.deliveries.length - 1]!.n).toBe(1);
      expect(live.stderr()).toMatch(/gave up after 5 tries/);
      expect(live.stderr()).toMatch(/1 not forwarded/);
    } finally {
      await hook.close();
    }
  }, 60_000);

  it('signs each delivery so that the hook can check it came from us, unchanged and recent', async () => {
    const hook = await startHook({});
    const secret = 'whsec_test_9f8e7d';
    try {
      const live = await listen(['--json', '--count', '2', '--forward-to', hook.url], {
        KITSU_TAIL_FORWARD_SECRET: secret,
      });
      emitNumbered(2);
      expect(await live.exit).toBe(0);
      expect(hook.deliveries).toHaveLength(2);
      for (const delivery of hook.deliveries) {
        // The README's verification snippet, as a receiver would run it.
        const header = String(delivery.headers['kitsu-tail-signature']);
        const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=') as [string, string]));
        const expected = createHmac('sha256', secret).update(`${parts.t}.${delivery.body}`).digest('hex');
        expect(timingSafeEqual(Buffer.from(parts.v1!), Buffer.from(expected))).toBe(true);
        expect(Math.abs(Date.now() / 1000 - Number(parts.t))).toBeLessThan(300);
        // Another secret, or a changed body, does not verify.
        expect(createHmac('sha256', 'other').update(`${parts.t}.${delivery.body}`).digest('hex')).not.toBe(parts.v1);
        expect(createHmac('sha256', secret).update(`${parts.t}.${delivery.body} `).digest('hex')).not.toBe(parts.v1);
      }
    } finally {
      await hook.close();
    }
  });

  it('sends no signature without a secret, and --forward-secret wins over the environment', async () => {
    const hook = await startHook({});
    try {
      const plain = await listen(['--json', '--count', '1', '--forward-to', hook.url]);
      emitNumbered(1);
      expect(await plain.exit).toBe(0);
      expect(hook.deliveries[0]!.headers['kitsu-tail-signature']).toBeUndefined();
      const flagged = await listen(['--json', '--count', '1', '--forward-to', hook.url, '--forward-secret', 'flag'], {
        KITSU_TAIL_FORWARD_SECRET: 'env',
      });
      emitNumbered(1);
      expect(await flagged.exit).toBe(0);
      const delivery = hook.deliveries[1]!;
      const t = /t=(\d+)/.exec(String(delivery.headers['kitsu-tail-signature']))![1]!;
      expect(delivery.headers['kitsu-tail-signature']).toBe(signatureHeader('flag', delivery.body, Number(t) * 1000));
    } finally {
      await hook.close();
    }
  });
});

describe('forward helpers', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-12-03T10:00:00Z');
    expect(retryAfterMs('7', now)).toBe(7_000);
    expect(retryAfterMs('Thu, 03 Dec 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('soon', now)).toBeNull();
    expect(retryAfterMs(undefined, now)).toBeNull();
  });

  it('signs as Stripe does: t=<seconds>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    const header = signatureHeader('secret', '{"a":1}', 1_700_000_000_500);
    const v1 = createHmac('sha256', 'secret').update('1700000000.{"a":1}').digest('hex');
    expect(header).toBe(`t=1700000000,v1=${v1}`);
  });
});

describe('listen --exec-on-error', () => {
  it('continue (the default): goes on, passes the command’s stderr through, and counts the failures in the summary', async () => {
    const live = await listen([
      '--json',
      '--count',
      '3',
      '--exec',
      'read line; echo "oops from the command" >&2; exit 3',
    ]);
    emitNumbered(3);
    expect(await live.exit).toBe(0);
    expect(live.stderr().match(/oops from the command/g)).toHaveLength(3);
    expect(live.stderr().match(/--exec: the command exited with 3 .*; going on/g)).toHaveLength(3);
    expect(live.stderr()).toMatch(/done: 3 events, 0 reconnects, 0 backfilled, 3 failed commands/);
  });

  it('stop: ends the run at the first failing command with exit 1 and a summary', async () => {
    const live = await listen([
      '--json',
      '--exec',
      'read line; case "$line" in *\'"n":1\'*) echo bad >&2; exit 4;; esac',
      '--exec-on-error',
      'stop',
    ]);
    emitNumbered(3);
    expect(await live.exit).toBe(1);
    expect(live.stderr()).toMatch(
      /--exec: the command exited with 4 for task:update .*; stopped \(--exec-on-error stop\)/,
    );
    expect(live.stderr()).toMatch(/stopped: \d+ events?, 0 reconnects, 0 backfilled, 1 failed command/);
    expect(live.stderr()).toContain('bad');
  });
});
