/**
 * Runs bin/kitsu-tail.js (built) on a real pseudo-terminal, through `script` from util-linux
 * (Debian's bsdutils), so that stdout and stderr are both a TTY as in a person's terminal. What
 * the terminal received can be read raw, or as the screen it leaves: `\r` goes back to the start
 * of the line, `ESC[2K` clears it, `\n` starts the next one (all that a redrawn status line uses).
 */
import { spawn, spawnSync } from 'node:child_process';
import { BIN } from './listen.js';
import { waitUntil } from './listen.js';

export interface PtyRun {
  /** Everything the terminal received, escape sequences included. */
  raw(): string;
  /** The lines the terminal shows now; the last is the one the cursor is on. */
  screen(): string[];
  waitFor(condition: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Ctrl-C, typed on the terminal. */
  interrupt(): void;
  exit: Promise<number>;
}

/** Whether `script` is there to make a pseudo-terminal (util-linux; not on every system). */
export function ptyAvailable(): boolean {
  return spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
}

const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

export function spawnInPty(argv: string[], env: Record<string, string | undefined>, columns = 200): PtyRun {
  const command = [process.execPath, BIN, ...argv].map(shellQuote).join(' ');
  // -q: no "Script started" banner; -f: flush at once; -e: its exit code is the command's.
  const child = spawn('script', ['-qfec', `stty cols ${columns} rows 50; exec ${command}`, '/dev/null'], {
    env: { PATH: process.env.PATH, TERM: 'xterm', ...env } as NodeJS.ProcessEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let raw = '';
  child.stdout.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
  const exit = new Promise<number>((resolve) => {
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  const run: PtyRun = {
    raw: () => raw,
    screen: () => render(raw),
    waitFor: (condition, what, timeoutMs) =>
      waitUntil(condition, what, timeoutMs, () => `--- screen ---\n${render(raw).slice(-40).join('\n')}`),
    interrupt: () => child.stdin.write('\u0003'),
    exit,
  };
  return run;
}

/** The screen lines `raw` leaves on a terminal (carriage return, clear line, line feed). */
export function render(raw: string): string[] {
  const lines: string[] = [];
  let line: string[] = [];
  let column = 0;
  for (let i = 0; i < raw.length; i += 1) {
    const c = raw[i]!;
    if (c === '\n') {
      lines.push(line.join(''));
      line = [];
      column = 0;
    } else if (c === '\r') {
      column = 0;
    } else if (c === '\u001b') {
      const csi = /^\u001b\[([0-9;?]*)([@-~])/.exec(raw.slice(i));
      if (csi) {
        // ESC[2K clears the line; colours and the rest do not change the text.
        if (csi[2] === 'K' && csi[1] === '2') line = [];
        i += csi[0].length - 1;
      }
    } else {
      while (line.length < column) line.push(' ');
      line[column] = c;
      column += 1;
    }
  }
  lines.push(line.join(''));
  return lines;
}
