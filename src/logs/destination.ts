/** Where `logs` records go: stdout, or the --output file (appended to). */
import { constants, createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { OutStream } from '../context.js';
import { onFile, openAppendTarget } from '../export/files.js';
import { firstLineOf, markFileTarget } from '../output/file-target.js';

export interface Destination {
  /** Undefined: the writer's own stdout. */
  stream: OutStream | undefined;
  close(): Promise<void>;
}

/** A header longer than this is no header of ours. */
const FIRST_LINE_BYTES = 64 * 1024;

export async function destinationFor(output: string | undefined): Promise<Destination> {
  if (output === undefined) return { stream: undefined, close: async () => {} };
  // Opened here, never through a link, so that a missing folder or a planted link is a usage
  // error (exit 2) naming the file; later write errors reach the writer's sink as 'error'.
  const handle = await onFile('--output', output, () => openAppendTarget(output));
  const firstLine = await onFile('--output', output, () => firstLineIn(output, handle)).catch(async (error) => {
    await handle.close();
    throw error;
  });
  const file: WriteStream = createWriteStream('', { fd: handle });
  // The writer names the file in its messages, and continues a CSV header it finds.
  markFileTarget(file, { flag: '--output', path: output, firstLine });
  return {
    stream: file,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (file.destroyed) {
          resolve();
          return;
        }
        file.end((error?: Error | null) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The first line of the regular file opened as `handle`; null when it is empty or not a file. */
async function firstLineIn(path: string, handle: Awaited<ReturnType<typeof openAppendTarget>>): Promise<string | null> {
  const found = await handle.stat();
  if (!found.isFile() || found.size === 0) return null;
  // The append handle cannot read; this reads the same file (its inode checked) from the start.
  let reader;
  try {
    reader = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    // A file this account may append to but not read: its header cannot be checked.
    if (['EACCES', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) return null;
    throw error;
  }
  try {
    const same = await reader.stat();
    if (same.ino !== found.ino || same.dev !== found.dev) return null;
    const buffer = Buffer.alloc(Math.min(FIRST_LINE_BYTES, found.size));
    const { bytesRead } = await reader.read(buffer, 0, buffer.length, 0);
    return firstLineOf(buffer.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await reader.close();
  }
}
