/**
 * Deployment shapes the field has (src/kitsu/README.md, Addresses): HTTPS with a studio's own CA, and a sub-path
 * install with the API under `/kitsu/api` and the stream under `/kitsu/socket.io`.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { call, connectedProbe, login, probe, waitUntil, withSandbox } from '../helpers/sandbox.js';

const TLS = join(import.meta.dirname, '..', 'fixtures', 'tls');
const read = (name: string) => readFileSync(join(TLS, name), 'utf8');

function httpsGet(url: string, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('deployments', () => {
  it('serves HTTPS and WSS with the given certificate: trusted with the CA, refused without', async () => {
    const sb = await withSandbox({ tls: { key: read('server.key'), cert: read('server.pem') } });
    try {
      expect(sb.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = read('ca.pem');
      expect(JSON.parse((await httpsGet(`${sb.apiUrl}/`, ca)).body)).toEqual({ api: 'Zou', version: '1.0.67' });
      await expect(httpsGet(`${sb.apiUrl}/`)).rejects.toThrow(/certificate/);
      const token = sb.control.issueTokens(sb.users.admin.id).access_token;
      const socket = io(`${sb.url}/events`, {
        ca,
        extraHeaders: { Authorization: `Bearer ${token}` },
        transports: ['websocket'],
        forceNew: true,
      });
      const got: unknown[] = [];
      socket.on('task:update', (data) => got.push(data));
      await new Promise<void>((resolve) => socket.on('connect', resolve));
      sb.control.emit('task:update', { task_id: 'secure' });
      await waitUntil(() => got.length === 1, 'the event over WSS');
      socket.close();
    } finally {
      await sb.close();
    }
  });

  it('serves a sub-path install under basePath', async () => {
    const sb = await withSandbox({ basePath: '/kitsu/' });
    try {
      expect(sb.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/kitsu$/);
      expect(sb.apiUrl).toBe(`${sb.url}/api`);
      expect((await call(sb, '')).body).toEqual({ api: 'Zou', version: '1.0.67' });
      expect((await fetch(`${new URL(sb.url).origin}/api/`)).status).toBe(404);
      const { access } = await login(sb, sb.users.admin);
      const p = await connectedProbe(sb, access);
      const wrongPath = probe(sb, { token: access, path: '/socket.io', reconnection: false });
      await waitUntil(() => wrongPath.seen.some((s) => s.startsWith('connect_error')), 'a refusal at the root path');
      p.close();
      wrongPath.close();
    } finally {
      await sb.close();
    }
  });
});
