/**
 * The contract of the Kitsu stand-in (src/sandbox/index.ts, startSandbox). It serves users of
 * `kitsu-tail sandbox` and `demo`, and every test and benchmark of this project, which drive
 * it in-process through `control`.
 */

export interface SandboxOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. It never listens elsewhere. */
  port?: number;
  /** Seed of the generated production; the same seed gives the same history. Default 1. */
  seed?: number;
  /** Events of generated history, spread over `historySpan` seconds before now. Default 0. */
  events?: number;
  /** Seconds of the past that the generated history covers. Default 7 days. */
  historySpan?: number;
  /** Generated live events a second; 0 (the default) for none. */
  rate?: number;
  /** Behave as this Zou version (paging, filters, row shape, permissions). Default "1.0.67". */
  emulate?: string;
  /** Access-token lifetime in seconds. Zou: 7 days. Tests set it to seconds. */
  accessTokenTtl?: number;
  /** Refresh-token lifetime in seconds. Zou: 15 days. */
  refreshTokenTtl?: number;
  /** Serve HTTPS (and WSS) with this PEM key and certificate. */
  tls?: { key: string; cert: string };
  /** A sub-path install: the API under `/kitsu/api`, the stream under `/kitsu/socket.io`. */
  basePath?: string;
  /** Engine.IO ping interval and time-out in ms. Zou: 25000 and 20000. Tests shorten them. */
  pingInterval?: number;
  pingTimeout?: number;
  /** How long 5 failed logins lock an account out, in seconds. Zou: 60. */
  lockoutSeconds?: number;
  /**
   * A folder that keeps the token signing key across restarts (created, mode 0700). Without
   * it the key comes from the seed: a restart with the same seed (and port) keeps sessions.
   */
  state?: string;
}

export type Role = 'admin' | 'manager' | 'supervisor' | 'user' | 'client' | 'vendor';

export interface SandboxUser {
  id: string;
  email: string;
  password: string;
  full_name: string;
  role: Role;
  active: boolean;
  /** Base32 secret when the user has TOTP two-factor on. */
  totpSecret?: string;
}

/** A persisted event with its full-precision time, as the database holds it. */
export interface StoredEvent {
  id: string;
  name: string;
  /** Microseconds since the epoch: strictly increasing, several may share a second. */
  createdAtUs: number;
  user_id: string | null;
  project_id: string | null;
  data: Record<string, unknown>;
}

export interface EmitOptions {
  /** Default: what Zou does for that name (notifications, chat, main:test… are not stored). */
  persist?: boolean;
  /** The acting person, stored as the row's user_id. Default null. */
  userId?: string | null;
  /**
   * The row's project_id (Zou's `project_id` argument to emit). Default: `data.project_id`,
   * except for `project:*` events, whose rows Zou stores without one.
   */
  projectId?: string | null;
}

/** How a failing route answers (see SandboxControl.failRoutes). */
export type FailureMode =
  /** That status with a JSON error body `{"error": true, "message": <reason>}`. */
  | { kind: 'status'; status: number }
  /** An HTML page, as a sign-in portal or proxy in front of Kitsu answers; status 200 unless given. */
  | { kind: 'html'; status?: number }
  | { kind: 'bad-json' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'reset' };

export interface FailureRule {
  /** Matched against the path after `/api/`, e.g. /^data\/events\/last/. */
  path: RegExp;
  mode: FailureMode;
  /** How many requests to fail; default every one until removed. */
  times?: number;
}

export interface RequestLogEntry {
  method: string;
  /** The path after `/api/`, e.g. `data/events/last`. */
  path: string;
  query: URLSearchParams;
  status: number;
}

export interface SandboxControl {
  /**
   * Publish an event live to every authenticated socket, then store it in the log unless it is
   * one Zou never persists, as Zou does. Returns the stored row, or null when not stored.
   * The row's project_id comes from `data.project_id` (see EmitOptions.projectId).
   */
  emit(name: string, data?: Record<string, unknown>, options?: EmitOptions): StoredEvent | null;
  /** Emit `count` events of generated production activity right now. */
  generate(count: number): StoredEvent[];
  /** Change the live rate of generated events a second (0 stops it). */
  setRate(perSecond: number): void;
  /** The persisted log, oldest first, at full precision. */
  log(): readonly StoredEvent[];
  /** Drop every socket, as when the zou-events process restarts; clients may reconnect at once. */
  restartStream(): Promise<void>;
  /** Drop every socket and refuse new ones at the transport until resumeStream(). */
  stopStream(): Promise<void>;
  resumeStream(): void;
  /** Keep sockets open but send nothing, pings included, until unsilenceStream(). */
  silenceStream(): void;
  unsilenceStream(): void;
  /** Make matching API routes fail; returns a function that removes the rule. */
  failRoutes(rule: FailureRule): () => void;
  clearFailures(): void;
  /** Revoke every token issued so far (the logout blocklist), bot tokens included. */
  revokeAllTokens(): void;
  /** Make every access token issued so far answer 401 "Signature has expired". */
  expireAccessTokens(): void;
  /** Make every refresh token issued so far expired as well. */
  expireRefreshTokens(): void;
  /** Change the lifetimes of tokens issued from now on, in seconds. */
  setTokenLifetimes(lifetimes: { access?: number; refresh?: number }): void;
  /**
   * Create a bot person with this role, as an admin would, and return its never-expiring token.
   * The bot joins the team of `projects` (default: every project), which is what a manager bot
   * needs to read the event log of 1.0.63+; no event is emitted.
   */
  createBot(role: Role, options?: { projects?: readonly string[] }): { id: string; token: string };
  /**
   * Tokens for a person as a login would give them (no login-log row, no lock-out check), for
   * tests that need a session without going through `auth/login`.
   */
  issueTokens(userId: string): { access_token: string; refresh_token: string };
  /** Deactivate or reactivate a person: their tokens then get 401 and logins 401 "unactive". */
  setUserActive(userId: string, active: boolean): void;
  /** Every API request so far, oldest first. */
  requests(): readonly RequestLogEntry[];
  /** Sockets currently connected to `/events`. */
  connectedSockets(): number;
}

export interface Sandbox {
  /** The site root, e.g. `http://127.0.0.1:43121` (or with the base path). */
  url: string;
  /** `url` + `/api`. */
  apiUrl: string;
  port: number;
  version: string;
  /** The people that log in: admin (admin@example.com / mysecretpassword), and one of each kind. */
  users: {
    admin: SandboxUser;
    manager: SandboxUser;
    artist: SandboxUser;
    inactive: SandboxUser;
    totp: SandboxUser;
    /** A person whose password is still the literal "default": login answers `default_password`. */
    defaultPassword: SandboxUser;
  };
  projects: readonly { id: string; name: string }[];
  control: SandboxControl;
  close(): Promise<void>;
}
