/**
 * dist/ is an esbuild bundle (scripts/build.mjs), where `await import('pkg')` of a CommonJS
 * package yields a chunk with a default export only: destructuring it gives undefined ("X is
 * not a constructor"), which only the spawned end-to-end tests would notice. So a package
 * loaded lazily by name must be ESM; a CommonJS one is imported statically by a module of
 * ours that is itself loaded lazily (src/bridge/redis-library.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

function isEsm(name: string): boolean {
  const pkg = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
    type?: string;
    exports?: Record<string, unknown>;
  };
  const main = pkg.exports?.['.'] ?? pkg.exports;
  return pkg.type === 'module' || (typeof main === 'object' && main !== null && 'import' in main);
}

it('loads only ESM packages by a dynamic import of their name', () => {
  const lazy = sourceFiles(join(root, 'src')).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/\bimport\(\s*'([^'.][^']*)'\s*\)/g)].map((m) => ({ file, name: m[1]! })),
  );
  expect(lazy.length).toBeGreaterThan(0);
  const packageOf = (specifier: string) =>
    specifier
      .split('/')
      .slice(0, specifier.startsWith('@') ? 2 : 1)
      .join('/');
  const commonJs = lazy.filter(({ name }) => !name.startsWith('node:') && !isEsm(packageOf(name)));
  expect(commonJs).toEqual([]);
});
