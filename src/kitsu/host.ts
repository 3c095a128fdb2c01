/**
 * Where a Kitsu lives, from the many ways people write it: `kitsu.studio.com`,
 * `https://kitsu.studio.com/api`, `https://studio.com/kitsu` (a sub-path install),
 * `http://127.0.0.1:5080`. The API is always `<root>/api` and the event stream
 * `<root>/socket.io` (README.md beside this file, Addresses): nginx adds those prefixes.
 */
import { UsageError } from '../errors.js';

export interface KitsuAddress {
  /** The site root without a trailing slash: `https://studio.com/kitsu`. */
  root: string;
  /** `<root>/api`. */
  apiUrl: string;
}

export interface EventAddress {
  /** Origin of the socket.io server: `https://kitsu.studio.com` (the path is not part of it). */
  eventUrl: string;
  /** `/socket.io`, or `/kitsu/socket.io` under a sub-path install. */
  socketPath: string;
}

/** Whether an address starts with a scheme (`https://`); people often leave it out. */
export const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
// What people paste after the site root: the API root, the stream path, Kitsu's own page.
const TRAILING_PARTS = /\/(api|socket\.io)$/i;

/** The site root of a host as written by a person; UsageError (exit 2) when it cannot be one. */
export function siteRoot(input: string, flag = '--host'): URL {
  const text = input.trim();
  const example = `such as kitsu.studio.com or https://kitsu.studio.com`;
  if (text === '') throw new UsageError(`${flag} is empty`, `give the Kitsu address, ${example}`);
  let url: URL;
  try {
    url = new URL(SCHEME.test(text) ? text : `https://${text}`);
  } catch {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not an address`, `give the Kitsu address, ${example}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`${flag} must be an http or https address, not ${url.protocol}`, example);
  }
  if (url.username || url.password) {
    throw new UsageError(`${flag} must not carry a user name or password`, 'log in with --email instead');
  }
  if (url.search || url.hash) {
    throw new UsageError(`${flag} must not carry a query or fragment`, example);
  }
  let path = url.pathname.replace(/\/+$/, '');
  path = path.replace(TRAILING_PARTS, '');
  url.pathname = path === '' ? '/' : path;
  return url;
}

function withoutSlash(url: URL): string {
  return url.href.replace(/\/+$/, '');
}

/** The site root and API root of `--host` / `KITSU_HOST`. */
export function parseHost(input: string, flag = '--host'): KitsuAddress {
  const root = withoutSlash(siteRoot(input, flag));
  return { root, apiUrl: `${root}/api` };
}

/**
 * The event stream of `--event-host` / `KITSU_EVENT_HOST` (or of the site root when there is
 * none): socket.io reads a URL path as a namespace, so the path goes into `socketPath`.
 */
export function parseEventHost(input: string, flag = '--event-host'): EventAddress {
  const url = siteRoot(input, flag);
  const base = url.pathname.replace(/\/+$/, '');
  return { eventUrl: url.origin, socketPath: `${base}/socket.io` };
}

/** Whether a URL points at this machine, where plain http is no risk and no proxy applies. */
export function isLoopback(url: string | URL): boolean {
  const hostname = (typeof url === 'string' ? new URL(url) : url).hostname.replace(/^\[|\]$/g, '');
  return hostname === 'localhost' || hostname === '::1' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Whether a password sent to this address would cross a network in clear text. */
export function sendsPasswordInClear(apiUrl: string): boolean {
  const url = new URL(apiUrl);
  return url.protocol === 'http:' && !isLoopback(url);
}
