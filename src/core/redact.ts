/**
 * Keeps secrets out of everything we print. Two nets: the exact secrets this process has
 * seen (registered by the store and the auth code), and anything shaped like a JWT, for
 * tokens we never registered (one echoed back by a proxy, say).
 */
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const BEARER = /(Bearer\s+)[^\s"',;]+/gi;

export const REDACTED = '[redacted]';

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Remember a secret so that it is masked wherever it appears later. Short values are ignored. */
  add(secret: string | undefined | null): void {
    if (secret && secret.length >= 6) this.secrets.add(secret);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out.replace(JWT_SHAPE, REDACTED).replace(BEARER, `$1${REDACTED}`);
  }
}

/** One per process: secrets are registered where they are read, masked where text is printed. */
export const redactor = new Redactor();
