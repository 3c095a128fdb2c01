/** Where `logs` records go: stdout, or the --output file (appended to). */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { OutStream } from '../context.js';
import { onFile, openAppendTarget } from '../export/files.js';

export interface Destination {
  /** Undefined: the writer's own stdout. */
  stream: OutStream | undefined;
  close(): Promise<void>;
}

export async function destinationFor(output: string | undefined): Promise<Destination> {
  if (output === undefined) return { stream: undefined, close: async () => {} };
  // Opened here, never through a link, so that a missing folder or a planted link is a usage
  // error (exit 2) naming the file; later write errors reach the writer's sink as 'error'.
  const handle = await onFile('--output', output, () => openAppendTarget(output));
  const file: WriteStream = createWriteStream('', { fd: handle });
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
