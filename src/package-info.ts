/**
 * The one reader of package.json: the version that `--version` prints and that the
 * User-Agent of every request (`kitsu-tail/0.1.0`) carries. Read once, on first use.
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The package's version; "dev" if package.json cannot be read (never expected once built). */
export function packageVersion(): string {
  if (cached === undefined) {
    try {
      // src/package-info.ts and dist/package-info.js both sit one level below package.json.
      cached = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      cached = 'dev';
    }
  }
  return cached;
}

/** What kitsu-tail sends as its User-Agent: `kitsu-tail/<version>`. */
export const userAgent = (): string => `kitsu-tail/${packageVersion()}`;
