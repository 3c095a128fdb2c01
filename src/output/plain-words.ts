/**
 * Library and server words that reach people, said plainly (issue 11: no jargon). Zou answers
 * a token that is not a JWT with PyJWT's "Not enough segments" (flask_jwt_extended, 422), and
 * a 403 with Werkzeug's stock paragraph ("You don't have the permission to access the requested
 * resource…"), which says nothing our own message does not; socket.io-client names why it
 * disconnected with its own reason codes (`transport close`, `ping timeout`…).
 */

/** What PyJWT and flask_jwt_extended say about a malformed or foreign token. */
const TOKEN_WORDS =
  /not enough segments|invalid header padding|invalid crypto padding|invalid payload padding|invalid header string|signature verification failed|signature has expired|token has expired|bad authorization header|missing authorization header/i;

/**
 * The server's own message, or undefined when it adds nothing a person can use. Tags are
 * stripped; a JWT library's words become what they mean.
 */
export function plainServerWords(said: string | undefined): string | undefined {
  if (!said) return undefined;
  if (/you don't have the permission to access the requested resource/i.test(said)) return undefined;
  if (/signature has expired|token has expired/i.test(said)) return 'the session has expired';
  if (/missing jwt/i.test(said)) return 'no session token reached it';
  if (/only non-refresh tokens are allowed/i.test(said)) return 'the token is a refresh token, not an access token';
  if (/only refresh tokens are allowed/i.test(said)) return 'the token is an access token, not a refresh token';
  if (TOKEN_WORDS.test(said)) return 'the token is not one this server issued';
  const text = said
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text === '' ? undefined : text;
}

const DISCONNECT_REASONS: Record<string, string> = {
  'transport close': 'the connection closed',
  'transport error': 'the connection failed',
  'ping timeout': 'the server stopped answering pings',
  'parse error': 'the server sent something unreadable',
  'io server disconnect': 'the server ended the connection',
  'io client disconnect': 'we ended the connection',
};

/** Why the event stream went down, in words (socket.io's reason codes translated). */
export function plainDisconnectReason(reason: string): string {
  return DISCONNECT_REASONS[reason] ?? reason;
}
