/**
 * Writing text to stdout (or a file) the way a long-running pipeline needs: every chunk is
 * handed to the stream at once (nothing held back in a pipe), a slow reader makes the writer
 * wait instead of letting memory grow ('drain'), and a reader that went away (`| head`:
 * EPIPE, a destroyed stream) becomes OutputClosedError instead of an unhandled 'error'.
 */
import type { OutStream } from '../context.js';
import { CliError, ExitCode, OutputClosedError } from '../errors.js';
import { fileTargetOf } from './file-target.js';
import { aroundStatusLine } from './status-line.js';

const CLOSED_CODES = new Set(['EPIPE', 'ECONNRESET', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

/** Write failures a person can act on, in their words: [what happened, what to do]. */
const WRITE_FAILURES: Record<string, [string, string]> = {
  ENOSPC: ['no space left on the device', 'free some space, or write to another disk'],
  EDQUOT: ["this account's disk quota is used up", 'free some space, or write to another disk'],
  EFBIG: ['the file has grown too large for its file system', 'start another file'],
  EIO: ['the device reported an input/output error', 'check the disk, or write to another one'],
  EROFS: ['the file system is read-only', 'write to another disk'],
};

/** `stream` is what failed: a file named with --output is named in the message. */
function failureOf(error: unknown, stream?: OutStream): CliError {
  if (error instanceof CliError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && CLOSED_CODES.has(code)) return new OutputClosedError();
  const target = stream && fileTargetOf(stream);
  const what = target ? `cannot write to ${target.flag} ${target.path}` : 'cannot write the output';
  const known = code ? WRITE_FAILURES[code] : undefined;
  if (known) return new CliError(`${what}: ${known[0]}`, ExitCode.failure, known[1]);
  const detail = error instanceof Error ? error.message : String(error);
  return new CliError(`${what}: ${detail}`, ExitCode.failure, 'check the disk space and the destination');
}

export class StreamSink {
  private failure: CliError | undefined;
  private pending = 0;
  private flushWaiters: Array<() => void> = [];

  constructor(
    readonly stream: OutStream,
    private readonly signal?: AbortSignal,
  ) {
    // Listening for 'error' for as long as this sink may see one: an EPIPE arriving with no
    // listener would crash the process instead of ending it quietly.
    stream.on('error', this.onError);
  }

  private readonly onError = (error: unknown): void => {
    this.failure ??= failureOf(error, this.stream);
  };

  private readonly onWritten = (error?: Error | null): void => {
    if (error) this.onError(error);
    this.pending -= 1;
    if (this.pending === 0) {
      for (const wake of this.flushWaiters.splice(0)) wake();
    }
  };

  /** Why writing is impossible now, if it is. */
  private blocker(): CliError | undefined {
    if (this.failure) return this.failure;
    if (this.stream.destroyed || this.stream.writableEnded) return (this.failure = new OutputClosedError());
    const reason: unknown = this.signal?.aborted ? this.signal.reason : undefined;
    if (reason !== undefined) return reason instanceof CliError ? reason : failureOf(reason);
    return undefined;
  }

  /**
   * Hands `text` to the stream. Resolves at once when the stream has room, else when it has
   * drained; rejects with OutputClosedError when the reader went away, or with the abort
   * reason (Ctrl-C) while waiting.
   */
  write(text: string): Promise<void> {
    const blocked = this.blocker();
    if (blocked) return Promise.reject(blocked);
    this.pending += 1;
    let roomLeft = true;
    try {
      // A status line on the same terminal (an outage, src/output/outage.ts) steps aside first.
      aroundStatusLine(this.stream, () => {
        roomLeft = this.stream.write(text, this.onWritten);
      });
    } catch (error) {
      this.pending -= 1;
      this.onError(error);
      return Promise.reject(this.failure);
    }
    return roomLeft ? Promise.resolve() : this.waitFor('drain');
  }

  /** Writes synchronously what can still be written, ignoring backpressure: for last words on abort. */
  writeNow(text: string): void {
    if (this.failure || this.stream.destroyed || this.stream.writableEnded) return;
    this.pending += 1;
    try {
      this.stream.write(text, this.onWritten);
    } catch (error) {
      this.pending -= 1;
      this.onError(error);
    }
  }

  /**
   * Resolves when everything written so far has been handed to the system; rejects like
   * write() when the reader went away or the command was interrupted first.
   */
  async flush(): Promise<void> {
    if (this.pending > 0) await this.waitFor('flushed');
    if (this.failure) throw this.failure;
  }

  /** Stops listening, once everything went out fine; after a failure the listener stays. */
  release(): void {
    if (!this.failure && this.pending === 0) this.stream.off('error', this.onError);
  }

  private waitFor(kind: 'drain' | 'flushed'): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const { stream, signal } = this;
      let settled = false;
      const settle = (error?: CliError) => {
        if (settled) return;
        settled = true;
        stream.off('drain', onDrain);
        stream.off('error', onFailure);
        stream.off('close', onClose);
        signal?.removeEventListener('abort', onAbort);
        this.flushWaiters = this.flushWaiters.filter((waiter) => waiter !== onFlushed);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => settle();
      const onFlushed = () => settle(this.failure);
      const onFailure = () => settle(this.failure ?? new OutputClosedError());
      const onClose = () =>
        settle(this.failure ?? (kind === 'flushed' && this.pending === 0 ? undefined : new OutputClosedError()));
      const onAbort = () => settle(this.blocker() ?? new OutputClosedError());
      if (kind === 'drain') stream.on('drain', onDrain);
      else this.flushWaiters.push(onFlushed);
      stream.on('error', onFailure);
      stream.on('close', onClose);
      signal?.addEventListener('abort', onAbort, { once: true });
      // The stream may have failed, closed or been aborted between the write and now.
      if (this.failure || stream.destroyed) onFailure();
      else if (signal?.aborted) onAbort();
    });
  }
}

/**
 * Writes one whole result (a table, a JSON document, a script) to `stream` the way records
 * are written: back-pressure respected, a reader that went away ends the command quietly.
 */
export async function writeResult(stream: OutStream, signal: AbortSignal, text: string): Promise<void> {
  const sink = new StreamSink(stream, signal);
  await sink.write(text);
  await sink.flush();
  sink.release();
}
