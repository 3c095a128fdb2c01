// Loaded with `node --import` by the start-up test: records every module URL that is
// resolved into the file named by KITSU_TAIL_TRACE_FILE, one per line. The hooks see ES
// modules; CommonJS ones loaded with require() (createRequire included) are read from the
// require cache as the process exits.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const file = process.env.KITSU_TAIL_TRACE_FILE;
register(new URL('./trace-imports-hooks.mjs', import.meta.url), {
  data: { file },
});
if (file) {
  process.on('exit', () => {
    const required = Object.keys(Module._cache).map((path) => `${pathToFileURL(path).href}\n`);
    appendFileSync(file, required.join(''));
  });
}
