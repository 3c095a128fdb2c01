/**
 * The CPU a child process has used so far, from /proc (Linux): the benchmarks compare it
 * between two runs made alike. Clock ticks are 10 ms, so a figure over a second or less is
 * only as exact as that.
 */
import { readFileSync } from 'node:fs';

/** User plus system CPU time of a process so far, in ms; null when it has gone or there is no /proc. */
export function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat, counted from 1 with pid and comm first.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}
