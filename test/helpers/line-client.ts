/**
 * For the benchmarks: a listening child process (ours or a bare socket.io client) whose stdout
 * lines are handed to `onLine` as they arrive, started once it said it is connected and the
 * sandbox sees its socket.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Sandbox } from '../../src/sandbox/types.js';
import { waitUntil } from './listen.js';

export interface LineClient {
  child: ChildProcessWithoutNullStreams;
  /** Called with each stdout line as it arrives; replace it to read or time lines. */
  onLine: (line: string) => void;
  /**
   * When set, called instead of onLine with the number of lines each chunk completes, found
   * without decoding the bytes: the benches that only count lines run in the sandbox's
   * process, and decoding and splitting a bigger output there slowed the sender it measures.
   */
  onLines: ((count: number) => void) | undefined;
  /** Ctrl-C, and its exit. */
  stop(): Promise<void>;
}

/** `node <args>` with `env`; resolves once it printed `connected to` and one socket is open. */
export async function startLineClient(
  sandbox: Sandbox,
  args: string[],
  env: NodeJS.ProcessEnv,
  what: string,
): Promise<LineClient> {
  const child = spawn(process.execPath, args, { env, stdio: 'pipe' });
  child.stdin.end();
  let err = '';
  let partial = '';
  const client: LineClient = {
    child,
    onLine: () => undefined,
    onLines: undefined,
    stop: async () => {
      const exited = new Promise((resolve) => child.on('close', resolve));
      child.kill('SIGINT');
      await exited;
    },
  };
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  child.stdout.on('data', (chunk: Buffer) => {
    if (client.onLines) {
      let count = 0;
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) count += 1;
      if (count > 0) client.onLines(count);
      return;
    }
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    for (const line of lines) client.onLine(line);
  });
  await waitUntil(
    () => /connected to/.test(err),
    `${what} to connect`,
    30_000,
    () => err,
  );
  await waitUntil(() => sandbox.control.connectedSockets() === 1, 'one socket');
  return client;
}
