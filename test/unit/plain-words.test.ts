import { describe, expect, it } from 'vitest';
import { plainDisconnectReason, plainServerWords } from '../../src/output/plain-words.js';

describe('plain words for library and server jargon', () => {
  it.each([
    ['Not enough segments', 'the token is not one this server issued'],
    ['Signature verification failed', 'the token is not one this server issued'],
    ['Signature has expired', 'the session has expired'],
    ['Token has been revoked', 'Token has been revoked'],
    [
      'Missing JWT in cookies or headers (Missing cookie "access_token_cookie"; Missing Authorization Header)',
      'no session token reached it',
    ],
    [
      "You don't have the permission to access the requested resource. It is either read-protected or not readable by the server.",
      undefined,
    ],
    ['<p>Project <b>closed</b></p>', 'Project closed'],
    ['Project is closed', 'Project is closed'],
  ])('%j', (said, plain) => {
    expect(plainServerWords(said)).toBe(plain);
  });

  it.each([
    ['transport close', 'the connection closed'],
    ['ping timeout', 'the server stopped answering pings'],
    ['io server disconnect', 'the server ended the connection'],
    ['no ping from the server for 40 s', 'no ping from the server for 40 s'],
  ])('disconnect reason %j', (reason, plain) => {
    expect(plainDisconnectReason(reason)).toBe(plain);
  });
});
