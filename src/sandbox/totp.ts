/**
 * RFC 6238 TOTP as Zou checks it (pyotp defaults: SHA-1, 30-second steps, 6 digits, and one
 * step of drift either way), through otpauth. `totpCode` is exported for tests that log in as
 * the TOTP user.
 */
import { Secret, TOTP } from 'otpauth';

function totpOf(secretBase32: string): TOTP {
  return new TOTP({ secret: Secret.fromBase32(secretBase32), algorithm: 'SHA1', digits: 6, period: 30 });
}

/** The 6-digit code of `secretBase32` at `timeMs`. */
export function totpCode(secretBase32: string, timeMs: number): string {
  return totpOf(secretBase32).generate({ timestamp: timeMs });
}

/** True when `code` is the code of the step at `timeMs` or of one step before or after. */
export function verifyTotp(secretBase32: string, code: string, timeMs: number): boolean {
  return totpOf(secretBase32).validate({ token: code.trim(), timestamp: timeMs, window: 1 }) !== null;
}
