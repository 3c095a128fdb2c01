/**
 * TLS settings from `--ca-file` and `--insecure` (or what the profile saved at login), shared
 * by the REST client and the event stream, and the words for a certificate that does not verify.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import type { Context } from '../context.js';
import { NetworkError, UsageError } from '../errors.js';
import type { Reporter } from '../output/reporter.js';
import type { TlsSettings } from './types.js';

/** The TLS choice a profile keeps from its login: its CA file (an absolute path), or --insecure. */
export interface SavedTls {
  caFile?: string;
  insecure?: boolean;
}

/** A profile's saved TLS choice and the profile's name, for the messages. */
export interface ProfileTls extends SavedTls {
  profileName: string;
}

const INSECURE_RISK = 'TLS certificates are not checked, so anyone on the network path could read your token';

/**
 * Verified by default; `--ca-file` adds a studio's own CA; `--insecure` warns on every run.
 * A TLS flag on the command line wins; without one, the profile's saved choice applies.
 */
export function tlsSettingsFor(ctx: Context, reporter: Reporter, profile?: ProfileTls): TlsSettings {
  if (ctx.globals.insecure) {
    reporter.warnOnce('insecure', `--insecure: ${INSECURE_RISK}`);
    return { rejectUnauthorized: false };
  }
  const file = ctx.globals.caFile;
  if (file)
    return {
      rejectUnauthorized: true,
      ca: readCa(file, `--ca-file ${file}`, "give the PEM file of your studio's certificate authority"),
    };
  if (profile?.insecure) {
    reporter.warnOnce(
      'insecure',
      `profile "${profile.profileName}" was logged in with --insecure: ${INSECURE_RISK} (log in again without it to check them)`,
    );
    return { rejectUnauthorized: false };
  }
  if (profile?.caFile) {
    const ca = readCa(
      profile.caFile,
      `the CA file of profile "${profile.profileName}" (${profile.caFile})`,
      'pass --ca-file with where it is now, or log in again with --ca-file to save that',
    );
    return { rejectUnauthorized: true, ca };
  }
  return { rejectUnauthorized: true };
}

/**
 * What a login saves of its TLS choice: the flags (the CA file by its absolute path, since
 * later commands run from other folders), else the CA file of the profile it replaces. Its
 * --insecure is not carried over: each login must ask for that again.
 *
 * The path rather than the PEM is saved: a studio that renews its CA replaces the file,
 * and every profile follows; a file that moved is named in a one-line error.
 */
export function tlsToSave(ctx: Context, previous: SavedTls | undefined): SavedTls {
  if (ctx.globals.insecure) return { insecure: true };
  if (ctx.globals.caFile) return { caFile: resolve(ctx.globals.caFile) };
  return previous?.caFile ? { caFile: previous.caFile } : {};
}

function readCa(file: string, what: string, hint: string): string {
  let ca: string;
  try {
    ca = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new UsageError(`${what}: cannot read it (${reason})`, hint);
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new UsageError(
      `${what} holds no PEM certificate`,
      'give a file that starts with -----BEGIN CERTIFICATE-----',
    );
  }
  return ca;
}

const contexts = new WeakMap<TlsSettings, SecureContext>();

/**
 * What the REST client and the event stream both trust under `--ca-file`: the studio's CA in
 * addition to the public roots, not instead of them (a bare `ca` option would replace them),
 * so an API and an event host may be certified by either. Undefined without a CA: Node's own
 * trust then applies. Parsing the public roots costs ~45 ms, so the context is built once
 * per settings, not per connection.
 */
export function trustedContext(tls: TlsSettings): SecureContext | undefined {
  if (!tls.ca) return undefined;
  let context = contexts.get(tls);
  if (!context) {
    context = createSecureContext({ ca: [...rootCertificates, tls.ca] });
    contexts.set(tls, context);
  }
  return context;
}

const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** OpenSSL's reason without its codes and source path: "wrong version number". */
function opensslReason(message: string): string {
  return /:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+)/.exec(message)?.[1]?.trim() ?? message.trim();
}

/** A NetworkError (exit 5) that says what to do, when `code` is a TLS failure; else null. */
export function tlsFailure(code: string, message: string, host: string): NetworkError | null {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    // A CA cannot fix a certificate made out to another name.
    return new NetworkError(
      `the TLS certificate of ${host} is for another name (${message})`,
      'use the host name the certificate names, or --insecure to skip the check',
    );
  }
  if (CERTIFICATE_CODES.has(code)) {
    return new NetworkError(
      `the TLS certificate of ${host} cannot be verified (${message})`,
      "pass --ca-file with your studio's CA certificate, or --insecure to skip the check",
    );
  }
  // Node's https says EPROTO with OpenSSL's reason where undici said the specific code.
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || (code === 'EPROTO' && /wrong version number/i.test(message))) {
    return new NetworkError(
      `${host} does not speak TLS on that port`,
      'if the server speaks plain http, give the host as http://…',
    );
  }
  if (code === 'EPROTO' || /^ERR_SSL_|^ERR_TLS_/.test(code)) {
    return new NetworkError(
      `the TLS handshake with ${host} failed (${opensslReason(message)})`,
      'check the host and port; if the server speaks plain http, give the host as http://…',
    );
  }
  return null;
}
