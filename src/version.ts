/**
 * The tool's version, read once from package.json. The one reader: it sits at the top of
 * src/ so that `../package.json` names the same file from dist/, whether dist/ is built file
 * by file or bundled into a few chunks beside each other.
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function toolVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
  return cached;
}
