/** Where `logs` records go: stdout, or the --output file (appended to). */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { OutStream } from '../context.js';

export interface Destination {
  /** Undefined: the writer's own stdout. */
  stream: OutStream | undefined;
  close(): Promise<void>;
}

export function destinationFor(output: string | undefined): Destination {
  if (output === undefined) return { stream: undefined, close: async () => {} };
  // Errors (a folder that does not exist, no permission) reach the writer's sink as 'error'.
  const file: WriteStream = createWriteStream(output, { flags: 'a' });
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
