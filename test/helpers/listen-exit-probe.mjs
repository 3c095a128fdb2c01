// Preloaded (`node --import`) into a spawned kitsu-tail by test/helpers/listen.ts spawnCli:
// reports on stderr every call of process.exit(). The product calls it only as a last resort
// (the safety net of src/cli.ts main() for a timer or socket left behind, and a second
// Ctrl-C), so a test can tell a process that ended by itself from one that had to be ended.
const exit = process.exit;
process.exit = function (code) {
  process.stderr.write(`[exit-probe] process.exit(${code}) was called\n`);
  return exit.call(process, code);
};
