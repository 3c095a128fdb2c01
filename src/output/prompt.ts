/**
 * Questions on a terminal for `login`: host, e-mail, a hidden password, a two-factor code.
 * Questions go to stderr (stdout is for results); answers come from stdin one line each, so
 * `--password-stdin` and a later code prompt can share it. On a real terminal a hidden
 * answer is read in raw mode, echoing nothing, with backspace and Ctrl-C handled here.
 *
 * Not @clack/prompts or @inquirer/password, tried on this module's tests: clack read the
 * password but swallowed the two-factor code typed after it, drew a frame with cursor moves
 * instead of `Password: `, showed a mask per key (the password's length) and toggled raw
 * mode five times; inquirer (eleven packages) closed with ExitPromptError before answering.
 */
import type { Context, InStream, OutStream } from '../context.js';
import { InterruptedError, UsageError } from '../errors.js';

export interface LineReader {
  /** The next line of stdin without its line end, or null at the end of input. */
  line(): Promise<string | null>;
  /** Writes the question to stderr and reads the answer; `hidden` echoes nothing. */
  ask(question: string, options?: { hidden?: boolean; default?: string }): Promise<string>;
  /** Stops reading stdin so that the process may exit. */
  close(): void;
}

export function createLineReader(ctx: Pick<Context, 'stdin' | 'stderr' | 'signal'>): LineReader {
  const stdin: InStream = ctx.stdin;
  const stderr: OutStream = ctx.stderr;
  let buffer = '';
  let ended = false;
  let listening = false;
  let wake: (() => void) | null = null;

  const onData = (chunk: Buffer | string) => {
    buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    wake?.();
  };
  const onEnd = () => {
    ended = true;
    wake?.();
  };

  function listen(): void {
    if (listening) return;
    listening = true;
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  }

  function close(): void {
    if (!listening) return;
    listening = false;
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.pause();
  }

  /** Waits for more input (or its end, or Ctrl-C from the command's signal). */
  function more(): Promise<void> {
    if (ctx.signal.aborted) return Promise.reject(ctx.signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        wake = null;
        reject(ctx.signal.reason);
      };
      wake = () => {
        wake = null;
        ctx.signal.removeEventListener('abort', onAbort);
        resolve();
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async function line(): Promise<string | null> {
    listen();
    for (;;) {
      const end = buffer.search(/\r?\n/);
      if (end >= 0) {
        const text = buffer.slice(0, end);
        buffer = buffer.slice(buffer.indexOf('\n', end) + 1);
        return text;
      }
      if (ended) {
        if (buffer === '') return null;
        const text = buffer;
        buffer = '';
        return text;
      }
      await more();
    }
  }

  /** A terminal in raw mode sends keys, not lines: Enter is \r, and editing is ours to do. */
  async function rawLine(): Promise<string | null> {
    listen();
    let text = '';
    for (;;) {
      while (buffer.length > 0) {
        const ch = buffer[0]!;
        buffer = buffer.slice(1);
        if (ch === '\r' || ch === '\n') {
          if (ch === '\r' && buffer[0] === '\n') buffer = buffer.slice(1);
          return text;
        }
        if (ch === '\u0003') throw new InterruptedError();
        if (ch === '\u001b') {
          // Arrow and function keys send escape sequences; none of it belongs in the answer.
          buffer = buffer.replace(/^(\[[0-9;]*[~A-Za-z]|O[A-Za-z])/, '');
          continue;
        }
        if (ch === '\u0004') {
          if (text === '') return null;
          return text;
        }
        if (ch === '\u007f' || ch === '\b') text = [...text].slice(0, -1).join('');
        else if (ch >= ' ') text += ch;
      }
      if (ended) return text === '' ? null : text;
      await more();
    }
  }

  async function ask(question: string, options: { hidden?: boolean; default?: string } = {}): Promise<string> {
    const suffix = options.default ? ` [${options.default}]` : '';
    const raw = options.hidden && stdin.isTTY === true && typeof stdin.setRawMode === 'function';
    // Echo goes off before the question shows: keys typed or pasted at once must not appear.
    if (raw) stdin.setRawMode!(true);
    let answer: string | null;
    try {
      stderr.write(`${question}${suffix}: `);
      answer = raw ? await rawLine() : await line();
    } finally {
      if (raw) stdin.setRawMode!(false);
      // The typed Enter was not echoed; end the line, also after Ctrl-C.
      if (options.hidden) stderr.write('\n');
    }
    if (answer === null) {
      throw new UsageError(
        `stdin ended before an answer to "${question}"`,
        'run on a terminal, or pass the value as a flag',
      );
    }
    const trimmed = options.hidden ? answer : answer.trim();
    if (trimmed === '' && options.default) return options.default;
    return trimmed;
  }

  return { line, ask, close };
}
