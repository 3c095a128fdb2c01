/**
 * The event stream as socket.io-client 4 sees it against Zou (src/kitsu/README.md, Event stream): header or
 * cookie auth at the handshake only, the DISCONNECT-then-CONNECT_ERROR refusal, one flat
 * argument per event broadcast to every socket, and what is and is not stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/types.js';
import {
  call,
  connectedProbe,
  login,
  probe,
  usingSandbox,
  waitUntil,
  withSandbox,
  type Probe,
} from '../helpers/sandbox.js';

let sb: Sandbox;
let token: string;
const open: Probe[] = [];
const track = (p: Probe) => (open.push(p), p);

beforeAll(async () => {
  sb = await withSandbox({ events: 20 });
  token = (await login(sb, sb.users.admin)).access;
});
afterAll(async () => {
  for (const p of open) p.close();
  await sb.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('connecting to /events', () => {
  it('accepts a bearer token in the Authorization header and delivers the flat payload', async () => {
    const p = track(probe(sb, { token }));
    await waitUntil(() => p.seen.includes('connect'), 'connect');
    sb.control.emit('task:update', { task_id: 't-1', project_id: 'p-1' });
    await waitUntil(() => p.events.length > 0, 'the event');
    expect(p.events[0]).toEqual({ name: 'task:update', args: [{ task_id: 't-1', project_id: 'p-1' }] });
  });

  it('accepts the access_token_cookie cookie', async () => {
    const p = track(probe(sb, { cookie: `access_token_cookie=${token}` }));
    await waitUntil(() => p.seen.includes('connect'), 'connect');
    expect(p.socket.connected).toBe(true);
  });

  it('works over the polling transport too', async () => {
    const p = track(probe(sb, { token, transports: ['polling'] }));
    await waitUntil(() => p.seen.includes('connect'), 'connect');
    sb.control.emit('asset:update', { asset_id: 'a-1', project_id: 'p-1' });
    await waitUntil(() => p.events.some((e) => e.name === 'asset:update'), 'the event');
  });

  const refusals: [string, Parameters<typeof probe>[1]][] = [
    ['a bad token', { token: 'not-a-jwt' }],
    ['no token at all', {}],
    ['a token only in the socket.io auth payload', { auth: { token: 'TOKEN' } }],
    ['a token only in the query string', { query: { token: 'TOKEN' } }],
  ];
  for (const [label, options] of refusals) {
    it(`refuses ${label} with a server disconnect before any connect, and no connect_error`, async () => {
      const withToken = JSON.parse(JSON.stringify(options ?? {}).replaceAll('TOKEN', token)) as Parameters<
        typeof probe
      >[1];
      const p = track(probe(sb, withToken));
      await waitUntil(() => p.seen.length > 0, 'a first event');
      await sleep(300);
      expect(p.seen).toEqual(['disconnect:io server disconnect']);
      expect(p.socket.active).toBe(false);
    });
  }

  it('refuses a polling handshake too', async () => {
    const p = track(probe(sb, { token: 'bad', transports: ['polling'] }));
    await waitUntil(() => p.seen.length > 0, 'a first event');
    await sleep(200);
    expect(p.seen).toEqual(['disconnect:io server disconnect']);
  });

  it('sends DISCONNECT then CONNECT_ERROR on the wire, as python-socketio does', async () => {
    const base = `${sb.url}/socket.io/?EIO=4&transport=polling`;
    const headers = { authorization: 'Bearer nope' };
    const handshake = await (await fetch(base, { headers })).text();
    const sid = (JSON.parse(handshake.slice(1)) as { sid: string }).sid;
    const post = await fetch(`${base}&sid=${sid}`, { method: 'POST', headers, body: '40/events,' });
    expect(post.status).toBe(200);
    const packets: string[] = [];
    while (packets.length < 2) {
      packets.push(...(await (await fetch(`${base}&sid=${sid}`, { headers })).text()).split('\x1e'));
    }
    expect(packets.slice(0, 2)).toEqual(['41/events,', '44/events,{"message":"Connection rejected by server"}']);
  });

  it('lets anyone into the root namespace, which never gets events', async () => {
    const p = track(probe(sb, { namespace: '/' }));
    await waitUntil(() => p.seen.includes('connect'), 'connect');
    sb.control.emit('task:update', { task_id: 't-2' });
    await sleep(200);
    expect(p.events).toEqual([]);
  });
});

describe('broadcast and storage', () => {
  it('sends every event to every authenticated socket, without id or envelope', async () => {
    const a = track(probe(sb, { token }));
    const b = track(probe(sb, { token: (await login(sb, sb.users.artist)).access }));
    await waitUntil(() => a.seen.includes('connect') && b.seen.includes('connect'), 'both connected');
    const row = sb.control.emit('Comment:New', {
      comment_id: 'c-1',
      task_id: 't-1',
      task_status_id: 's-1',
      project_id: 'p-9',
    });
    for (const p of [a, b]) await waitUntil(() => p.events.some((e) => e.name === 'comment:new'), 'comment:new');
    expect(b.events.find((e) => e.name === 'comment:new')?.args).toEqual([
      { comment_id: 'c-1', task_id: 't-1', task_status_id: 's-1', project_id: 'p-9' },
    ]);
    expect(row).toMatchObject({ name: 'comment:new', project_id: 'p-9' });
    expect(sb.control.log().at(-1)?.id).toBe(row?.id);
  });

  it('keeps the names Zou never persists out of the log', async () => {
    const p = track(probe(sb, { token }));
    await waitUntil(() => p.seen.includes('connect'), 'connect');
    const before = sb.control.log().length;
    for (const name of [
      'notification:new',
      'chat:new-message',
      'comment:acknowledge',
      'task:update-casting-stats',
      'preview-room:join',
    ]) {
      expect(sb.control.emit(name, { x: 1 })).toBeNull();
    }
    await waitUntil(() => p.events.filter((e) => e.name !== 'task:update').length >= 5, 'the five events');
    expect(sb.control.log().length).toBe(before);
    expect(sb.control.emit('notification:new', {}, { persist: true })).not.toBeNull();
  });

  it('GET /api/status/test-event emits main:test {} live, needs no auth, and stores nothing', async () => {
    const p = track(probe(sb, { token }));
    await waitUntil(() => p.seen.includes('connect'), 'connect');
    const before = sb.control.log().length;
    const answer = await call(sb, 'status/test-event');
    expect(answer.status).toBe(200);
    await waitUntil(() => p.events.some((e) => e.name === 'main:test'), 'main:test');
    expect(p.events.find((e) => e.name === 'main:test')?.args).toEqual([{}]);
    expect(sb.control.log().length).toBe(before);
  });

  it('counts the sockets connected to /events', async () => {
    const before = sb.control.connectedSockets();
    const p = probe(sb, { token });
    await waitUntil(() => sb.control.connectedSockets() === before + 1, 'one more socket');
    p.close();
    await waitUntil(() => sb.control.connectedSockets() === before, 'the socket gone');
  });
});

describe('tokens are checked at the handshake only', () => {
  it('a connected socket keeps receiving after its token expires, and is refused at reconnect', async () => {
    await usingSandbox({}, async (own) => {
      const { access } = await login(own, own.users.admin);
      const p = await connectedProbe(own, access);
      own.control.expireAccessTokens();
      expect((await call(own, 'data/events/last', { token: access })).status).toBe(401);
      own.control.emit('task:update', { task_id: 'after-expiry' });
      await waitUntil(() => p.events.length === 1, 'the event after expiry');
      await own.control.restartStream();
      await waitUntil(() => p.seen.includes('disconnect:io server disconnect'), 'the refusal at reconnect');
      expect(p.seen).toEqual([
        'connect',
        'event:task:update',
        'disconnect:transport close',
        'disconnect:io server disconnect',
      ]);
      expect(p.socket.active).toBe(false);
      p.close();
    });
  });

  it('a connected socket keeps receiving after logout revoked its token, and is refused at reconnect', async () => {
    await usingSandbox({}, async (own) => {
      const { access } = await login(own, own.users.manager);
      const p = await connectedProbe(own, access);
      expect((await call(own, 'auth/logout', { token: access })).status).toBe(200);
      own.control.emit('task:update', { task_id: 'after-logout' });
      await waitUntil(() => p.events.length === 1, 'the event after logout');
      p.socket.disconnect().connect();
      await waitUntil(() => p.seen.includes('disconnect:io server disconnect'), 'the refusal');
      expect(p.seen.filter((s) => s === 'connect')).toHaveLength(1);
      p.close();
    });
  });
});

describe('stream controls as a client sees them', () => {
  it('restartStream drops every socket with "transport close" and the client reconnects at once', async () => {
    await usingSandbox({}, async (own) => {
      const { access } = await login(own, own.users.admin);
      const p = await connectedProbe(own, access);
      await own.control.restartStream();
      await waitUntil(() => p.seen.filter((s) => s === 'connect').length === 2, 'the reconnect');
      expect(p.seen).toEqual(['connect', 'disconnect:transport close', 'connect']);
      own.control.emit('task:update', { task_id: 'after-restart' });
      await waitUntil(() => p.events.length === 1, 'an event after the restart');
      p.close();
    });
  });

  it('stopStream drops sockets and refuses at the transport (502 like nginx) until resumeStream', async () => {
    await usingSandbox({}, async (own) => {
      const { access } = await login(own, own.users.admin);
      const p = await connectedProbe(own, access);
      await own.control.stopStream();
      await waitUntil(() => p.seen.filter((s) => s.startsWith('connect_error:')).length >= 2, 'failed reconnects');
      expect(p.seen[1]).toBe('disconnect:transport close');
      expect(own.control.connectedSockets()).toBe(0);
      const poll = await fetch(`${own.url}/socket.io/?EIO=4&transport=polling`, {
        headers: { authorization: `Bearer ${access}` },
      });
      expect(poll.status).toBe(502);
      expect(await poll.text()).toContain('nginx');
      expect((await call(own, 'status')).body['event-stream-up']).toBe(false);
      expect((await call(own, 'data/events/last', { token: access })).status).toBe(200);
      own.control.resumeStream();
      await waitUntil(() => p.seen.filter((s) => s === 'connect').length === 2, 'the reconnect after resume');
      p.close();
    });
  });

  it('silenceStream sends nothing, not even pings, until the client times out; new sockets work', async () => {
    await usingSandbox({ pingInterval: 300, pingTimeout: 300 }, async (own) => {
      const { access } = await login(own, own.users.admin);
      const p = await connectedProbe(own, access);
      own.control.silenceStream();
      own.control.emit('task:update', { task_id: 'lost' });
      await waitUntil(() => p.seen.includes('disconnect:ping timeout'), 'the client ping time-out');
      expect(p.events).toEqual([]);
      await waitUntil(() => p.seen.filter((s) => s === 'connect').length === 2, 'the reconnect');
      own.control.emit('task:update', { task_id: 'seen' });
      await waitUntil(() => p.events.length === 1, 'an event on the new socket');
      expect(p.events[0]?.args).toEqual([{ task_id: 'seen' }]);
      p.close();
    });
  });

  it('unsilenceStream lets a silenced socket receive again; what was sent meanwhile is lost', async () => {
    await usingSandbox({ pingInterval: 2000, pingTimeout: 2000 }, async (own) => {
      const { access } = await login(own, own.users.admin);
      const p = await connectedProbe(own, access);
      own.control.silenceStream();
      own.control.emit('task:update', { task_id: 'lost' });
      await sleep(100);
      own.control.unsilenceStream();
      own.control.emit('task:update', { task_id: 'seen' });
      await waitUntil(() => p.events.length === 1, 'the event after unsilence');
      expect(p.events[0]?.args).toEqual([{ task_id: 'seen' }]);
      expect(p.seen).toEqual(['connect', 'event:task:update']);
      p.close();
    });
  });
});
