// Preloaded (`node --import`) by test/bench/lean.bench.ts: at exit, the process writes its own
// peak RSS in bytes to the file named by KITSU_TAIL_RSS_FILE.
import { writeFileSync } from 'node:fs';

const file = process.env.KITSU_TAIL_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)));
