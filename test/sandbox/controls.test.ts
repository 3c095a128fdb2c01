/**
 * The in-process controls tests and benchmarks drive: failing routes, the request log, the
 * live rate, generating and emitting events. (The stream and token controls are covered in
 * stream.test.ts and auth.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/types.js';
import { call, connectedProbe, waitUntil, withSandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let token: string;
beforeAll(async () => {
  sb = await withSandbox({ events: 50 });
  token = sb.control.issueTokens(sb.users.admin.id).access_token;
});
afterAll(() => sb.close());

const last = () => fetch(`${sb.apiUrl}/data/events/last`, { headers: { authorization: `Bearer ${token}` } });

describe('failRoutes', () => {
  it('answers a status with a JSON error body, for matching paths only, until removed', async () => {
    const remove = sb.control.failRoutes({ path: /^data\/events\/last$/, mode: { kind: 'status', status: 503 } });
    const failed = await last();
    expect(failed.status).toBe(503);
    expect(await failed.json()).toEqual({ error: true, message: 'Service Unavailable' });
    expect((await call(sb, 'data/projects', { token })).status).toBe(200);
    remove();
    expect((await last()).status).toBe(200);
  });

  it('answers an HTML page (200 unless a status is given), as a sign-in portal in front of Kitsu does', async () => {
    sb.control.failRoutes({ path: /^$/, mode: { kind: 'html' }, times: 1 });
    const page = await fetch(`${sb.apiUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toMatch(/<html>/i);
    sb.control.failRoutes({ path: /^$/, mode: { kind: 'html', status: 502 }, times: 1 });
    expect((await fetch(`${sb.apiUrl}/`)).status).toBe(502);
    expect((await fetch(`${sb.apiUrl}/`)).headers.get('content-type')).toBe('application/json');
  });

  it('answers JSON that does not parse', async () => {
    sb.control.failRoutes({ path: /^data\/events\/last$/, mode: { kind: 'bad-json' }, times: 1 });
    const answer = await last();
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json');
    await expect(answer.json()).rejects.toThrow();
  });

  it('answers slowly: a client that gives up first sees no answer', async () => {
    sb.control.failRoutes({ path: /^data\/events\/last$/, mode: { kind: 'slow', delayMs: 60_000 }, times: 1 });
    const headers = { authorization: `Bearer ${token}` };
    const url = `${sb.apiUrl}/data/events/last`;
    await expect(fetch(url, { headers, signal: AbortSignal.timeout(500) })).rejects.toThrow(/aborted/i);
    expect((await fetch(url, { headers, signal: AbortSignal.timeout(10_000) })).status).toBe(200);
  });

  it('resets the connection', async () => {
    sb.control.failRoutes({ path: /^data\/events\/last$/, mode: { kind: 'reset' }, times: 1 });
    const error = await last().then(
      () => null,
      (e: Error & { cause?: { code?: string } }) => e,
    );
    expect(error?.message).toBe('fetch failed');
    expect(error?.cause?.code).toMatch(/^(ECONNRESET|UND_ERR_SOCKET)$/);
    expect((await last()).status).toBe(200);
  });

  it('fails only `times` requests, then answers normally; clearFailures removes every rule', async () => {
    sb.control.failRoutes({ path: /^data\//, mode: { kind: 'status', status: 500 }, times: 2 });
    expect([(await last()).status, (await last()).status, (await last()).status]).toEqual([500, 500, 200]);
    sb.control.failRoutes({ path: /./, mode: { kind: 'status', status: 500 } });
    sb.control.clearFailures();
    expect((await last()).status).toBe(200);
  });
});

describe('requests', () => {
  it('logs every API request with its path, query and status', async () => {
    const before = sb.control.requests().length;
    await fetch(`${sb.apiUrl}/data/events/last?limit=7&name_prefixes=a&name_prefixes=b`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await fetch(`${sb.apiUrl}/data/events/last`);
    const [ok, refused] = sb.control.requests().slice(before);
    expect(ok).toMatchObject({ method: 'GET', path: 'data/events/last', status: 200 });
    expect(ok?.query.get('limit')).toBe('7');
    expect(ok?.query.getAll('name_prefixes')).toEqual(['a', 'b']);
    expect(refused?.status).toBe(401);
  });
});

describe('events', () => {
  it('emit publishes live, then stores with the acting user and the project from data', async () => {
    const p = await connectedProbe(sb, token);
    const row = sb.control.emit(
      'task:assign',
      { task_id: 't', person_id: 'x', project_id: sb.projects[0]!.id },
      { userId: sb.users.manager.id },
    );
    expect(row).toMatchObject({ name: 'task:assign', user_id: sb.users.manager.id, project_id: sb.projects[0]!.id });
    expect(sb.control.emit('task:update', {}, { persist: false })).toBeNull();
    await waitUntil(() => p.events.length === 2, 'both events live');
    p.close();
  });

  it('generate(n) emits n stored events of believable activity at once, in one second', () => {
    const before = sb.control.log().length;
    const rows = sb.control.generate(40);
    expect(rows).toHaveLength(40);
    expect(
      sb.control
        .log()
        .slice(before)
        .map((e) => e.id),
    ).toEqual(rows.map((e) => e.id));
    expect(new Set(rows.map((e) => Math.floor(e.createdAtUs / 1e6))).size).toBe(1);
    for (let i = 1; i < rows.length; i += 1) expect(rows[i]!.createdAtUs).toBeGreaterThan(rows[i - 1]!.createdAtUs);
  });

  it('setRate emits generated activity live until set back to 0', async () => {
    const p = await connectedProbe(sb, token);
    sb.control.setRate(50);
    await waitUntil(() => p.events.length >= 10, 'ten live events');
    sb.control.setRate(0);
    const count = p.events.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(p.events.length).toBe(count);
    p.close();
  });
});
