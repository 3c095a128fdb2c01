// Builds dist/ as a bundle: src/main.ts and everything it imports, node_modules included,
// in a few chunks. Dynamic imports stay chunk boundaries, so a command loads only its own
// code (socket.io-client only for the commands that stream, and so on). One file a chunk
// instead of a hundred modules to resolve is most of what start-up costs (npm run bench).
// Types are checked by `npm run typecheck`, not here.
import { rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
rmSync(`${root}dist`, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/main.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: '[name]-[hash]',
  // Everything lands flat in dist/, so `../package.json` from any chunk is the package's.
  metafile: true,
  alias: {
    'ajv/dist/2020.js': './scripts/no-schema-validator.mjs',
    'ajv-formats': './scripts/no-schema-validator.mjs',
    // Under Node, socket.io's client packages export their debug build, which calls `debug()`
    // several times for every packet (and loads the debug package) though nothing turns it on.
    // Their plain ESM build is the same code without those calls: `listen` spends less per event.
    'socket.io-client': './node_modules/socket.io-client/build/esm/index.js',
    'engine.io-client': './node_modules/engine.io-client/build/esm/index.js',
    'socket.io-parser': './node_modules/socket.io-parser/build/esm/index.js',
  },
  // CommonJS packages inside the bundle call require() for Node's own modules.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
// Which source modules went into which chunk: the start-up test reads it to name what a
// command loaded.
writeFileSync(`${root}dist/meta.json`, JSON.stringify(result.metafile));
