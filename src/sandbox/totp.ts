/**
 * RFC 6238 TOTP as Zou checks it (pyotp defaults: SHA-1, 30-second steps, 6 digits, and one
 * step of drift either way). `totpCode` is exported for tests that log in as the TOTP user.
 */
import { createHmac } from 'node:crypto';

const STEP_MS = 30_000;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const n = ALPHABET.indexOf(ch);
    if (n < 0) throw new Error(`not a base32 secret: ${JSON.stringify(text)}`);
    value = (value << 5) | n;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

function codeForStep(key: Buffer, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, '0');
}

/** The 6-digit code of `secretBase32` at `timeMs`. */
export function totpCode(secretBase32: string, timeMs: number): string {
  return codeForStep(base32Decode(secretBase32), Math.floor(timeMs / STEP_MS));
}

/** True when `code` is the code of the step at `timeMs` or of one step before or after. */
export function verifyTotp(secretBase32: string, code: string, timeMs: number): boolean {
  const key = base32Decode(secretBase32);
  const step = Math.floor(timeMs / STEP_MS);
  return [step - 1, step, step + 1].some((s) => codeForStep(key, s) === code.trim());
}
