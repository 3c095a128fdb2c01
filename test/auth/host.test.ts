import { describe, expect, it } from 'vitest';
import { isLoopback, parseEventHost, parseHost, sendsPasswordInClear } from '../../src/kitsu/host.js';
import { UsageError } from '../../src/errors.js';

describe('parseHost', () => {
  const cases: [string, string, string][] = [
    ['kitsu.studio.com', 'https://kitsu.studio.com', 'https://kitsu.studio.com/api'],
    ['https://kitsu.studio.com', 'https://kitsu.studio.com', 'https://kitsu.studio.com/api'],
    ['https://kitsu.studio.com/', 'https://kitsu.studio.com', 'https://kitsu.studio.com/api'],
    ['https://kitsu.studio.com/api', 'https://kitsu.studio.com', 'https://kitsu.studio.com/api'],
    ['https://kitsu.studio.com/api/', 'https://kitsu.studio.com', 'https://kitsu.studio.com/api'],
    ['https://studio.com/kitsu', 'https://studio.com/kitsu', 'https://studio.com/kitsu/api'],
    ['https://studio.com/kitsu/api', 'https://studio.com/kitsu', 'https://studio.com/kitsu/api'],
    ['http://127.0.0.1:5080', 'http://127.0.0.1:5080', 'http://127.0.0.1:5080/api'],
    ['kitsu.studio.com:8443', 'https://kitsu.studio.com:8443', 'https://kitsu.studio.com:8443/api'],
    ['  HTTPS://Kitsu.Studio.COM  ', 'https://kitsu.studio.com', 'https://kitsu.studio.com/api'],
    ['https://kitsu.studio.com:443/api', 'https://kitsu.studio.com', 'https://kitsu.studio.com/api'],
  ];
  for (const [input, root, apiUrl] of cases) {
    it(`reads ${JSON.stringify(input)}`, () => {
      expect(parseHost(input)).toEqual({ root, apiUrl });
    });
  }

  for (const bad of [
    '',
    '   ',
    'ftp://kitsu.studio.com',
    'https://user:pw@kitsu.studio.com',
    'https://kitsu.studio.com/?a=1',
    'http://',
  ]) {
    it(`refuses ${JSON.stringify(bad)} with a usage error naming the flag`, () => {
      expect(() => parseHost(bad, 'KITSU_HOST')).toThrow(UsageError);
      expect(() => parseHost(bad, 'KITSU_HOST')).toThrow(/KITSU_HOST/);
    });
  }
});

describe('parseEventHost', () => {
  it('puts the path of a sub-path install into the socket path, not the URL', () => {
    expect(parseEventHost('https://studio.com/kitsu')).toEqual({
      eventUrl: 'https://studio.com',
      socketPath: '/kitsu/socket.io',
    });
    expect(parseEventHost('https://studio.com/kitsu/api')).toEqual({
      eventUrl: 'https://studio.com',
      socketPath: '/kitsu/socket.io',
    });
    expect(parseEventHost('https://studio.com/kitsu/socket.io/')).toEqual({
      eventUrl: 'https://studio.com',
      socketPath: '/kitsu/socket.io',
    });
  });
  it('uses /socket.io on a site root', () => {
    expect(parseEventHost('events.studio.com')).toEqual({
      eventUrl: 'https://events.studio.com',
      socketPath: '/socket.io',
    });
    expect(parseEventHost('http://127.0.0.1:5001')).toEqual({
      eventUrl: 'http://127.0.0.1:5001',
      socketPath: '/socket.io',
    });
  });
});

describe('loopback and clear-text passwords', () => {
  it('knows loopback addresses', () => {
    expect(isLoopback('http://127.0.0.1:5000')).toBe(true);
    expect(isLoopback('http://127.3.2.1')).toBe(true);
    expect(isLoopback('http://localhost:80')).toBe(true);
    expect(isLoopback('http://[::1]:80')).toBe(true);
    expect(isLoopback('http://10.0.0.1')).toBe(false);
    expect(isLoopback('http://127.0.0.1.evil.com')).toBe(false);
  });
  it('warns for plain http off this machine only', () => {
    expect(sendsPasswordInClear('http://kitsu.lan/api')).toBe(true);
    expect(sendsPasswordInClear('https://kitsu.lan/api')).toBe(false);
    expect(sendsPasswordInClear('http://127.0.0.1:5080/api')).toBe(false);
  });
});
