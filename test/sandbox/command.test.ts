/**
 * `kitsu-tail sandbox`: starts, prints how to use it, answers, and stops cleanly on Ctrl-C.
 * The spawned test needs `npm run build` first, as every test that spawns bin/ does.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli.js';
import { InterruptedError } from '../../src/errors.js';
import { runCli } from '../helpers/run-cli.js';
import { waitUntil } from '../helpers/sandbox.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'kitsu-tail.js');

async function answersLikeKitsu(url: string): Promise<void> {
  expect(await (await fetch(`${url}/api/`)).json()).toEqual({ api: 'Zou', version: '1.0.67' });
  const login = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@example.com', password: 'mysecretpassword' }),
  });
  const { access_token } = (await login.json()) as { access_token: string };
  const last = await fetch(`${url}/api/data/events/last?limit=1000`, {
    headers: { authorization: `Bearer ${access_token}` },
  });
  expect(last.status).toBe(200);
  expect(((await last.json()) as unknown[]).length).toBeGreaterThanOrEqual(1000);
}

describe('kitsu-tail sandbox', () => {
  it('as a process: prints its URL first, answers, and exits 130 on Ctrl-C', async () => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, 'sandbox', '--port', '0', '--events', '1000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stderr = '';
    let stdout = '';
    let firstLineMs = 0;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (!firstLineMs && stderr.includes('\n')) firstLineMs = performance.now() - started;
    });
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await waitUntil(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(stderr), 'the URL on stderr', 30_000);
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)![1]!;
      await answersLikeKitsu(url);
      console.log(
        `sandbox --events 1000: first stderr line after ${firstLineMs.toFixed(0)} ms, answered after ${(performance.now() - started).toFixed(0)} ms`,
      );
      expect(stderr).toContain('admin@example.com / mysecretpassword');
      expect(stderr).toContain(`kitsu-tail login --host ${url} --email admin@example.com --password-stdin`);
      expect(stdout).toBe('');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exit).toBe(130);
  });

  it('in-process: serves until ctx.signal aborts, then closes its port and rethrows the reason', async () => {
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const controller = new AbortController();
    const code = run(
      ['sandbox', '--port', '0', '--events', '1000', '--rate', '0', '--seed', '4', '--emulate', '1.0.67'],
      {
        stdout: new PassThrough(),
        stderr,
        stdin: new PassThrough(),
        env: { NO_COLOR: '1' },
        clock: { now: () => Date.now() },
        signal: controller.signal,
      },
    );
    await waitUntil(() => /listening on http/.test(text), 'the URL');
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text)![1]!;
    await answersLikeKitsu(url);
    expect(text).toContain('seed 4');
    controller.abort(new InterruptedError());
    expect(await code).toBe(130);
    await expect(fetch(`${url}/api/`)).rejects.toThrow();
  });

  it('says so, with exit 2, when the port is taken', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const result = await runCli(['sandbox', '--port', String(port)]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use .*--port 0`));
    } finally {
      taken.close();
    }
  });

  it('refuses an --emulate version it cannot read, with exit 2', async () => {
    const result = await runCli(['sandbox', '--port', '0', '--emulate', 'latest']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--emulate takes a Zou version such as 1.0.62');
  });
});
