/**
 * The contract between the commands and the code that talks to a Kitsu server. The
 * implementation is src/kitsu/session.ts (openSession); commands depend on these types only.
 */

/** Query values; arrays become repeated keys (`name_prefixes=a&name_prefixes=b`). */
export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface RequestOptions {
  signal?: AbortSignal;
  /**
   * Called with the server's clock (the Date header of its 2xx answer, ms since the epoch),
   * when it sent one: what an export may record as read, since the server has shown it.
   */
  onServerTime?: (ms: number) => void;
}

/**
 * The REST API, relative to its root: `get('data/events/last', {limit: 1000})`. Sends the
 * access token (renewing it first when near its end, and once more on a 401 "Signature has
 * expired"), retries idempotent requests on network errors and 502/503/504, and throws the
 * CliError of the exit-code table in src/README.md for anything else that is not a 2xx JSON answer.
 */
export interface KitsuHttp {
  get<T = unknown>(path: string, query?: Query, options?: RequestOptions): Promise<T>;
  post<T = unknown>(path: string, body: unknown, options?: RequestOptions): Promise<T>;
}

export interface TlsSettings {
  /** False only with --insecure. */
  rejectUnauthorized: boolean;
  /** PEM text of --ca-file, when given. */
  ca?: string;
}

/** A proxy from the environment, and the variable that named it (for messages). */
export interface HttpProxy {
  variable: string;
  url: URL;
}

export interface SessionUser {
  id: string;
  email: string;
  full_name: string;
  role: string;
}

/** A logged-in profile, ready to use. */
export interface Session {
  profileName: string;
  /** The API root without a trailing slash: `https://kitsu.studio.com/api`. */
  apiUrl: string;
  /** Origin of the event stream: `https://kitsu.studio.com` (socket.io namespace `/events`). */
  eventUrl: string;
  /** The socket.io path: `/socket.io`, or `/kitsu/socket.io` under a sub-path install. */
  socketPath: string;
  /** From `GET /api/`, e.g. "1.0.67". */
  serverVersion: string;
  user: SessionUser | null;
  /** True for a bot or API token, which never expires and cannot be renewed. */
  isBot: boolean;
  tls: TlsSettings;
  /** The proxy the event stream goes through (HTTPS_PROXY, HTTP_PROXY, NO_PROXY); none when absent. */
  eventProxy?: HttpProxy;
  http: KitsuHttp;
  /** A valid access token, renewed first when it is close to its end. */
  accessToken(): Promise<string>;
  /**
   * Renew the access token now, because the server refused it (the event stream does that
   * with a disconnect). Throws AuthError (exit 3, hint: log in again) when it cannot.
   */
  renew(): Promise<string>;
  /** Releases keep-alive connections. */
  close(): Promise<void>;
}
