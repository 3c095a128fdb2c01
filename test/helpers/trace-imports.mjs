// Loaded with `node --import` by the start-up test: records every module URL that is
// resolved into the file named by KITSU_TAIL_TRACE_FILE, one per line.
import { register } from 'node:module';

register(new URL('./trace-imports-hooks.mjs', import.meta.url), {
  data: { file: process.env.KITSU_TAIL_TRACE_FILE },
});
