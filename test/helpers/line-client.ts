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
  /** Called with each stdout line as it arrives; replace it to count or time lines. */
  onLine: (line: string) => void;
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
    stop: async () => {
      const exited = new Promise((resolve) => child.on('close', resolve));
      child.kill('SIGINT');
      await exited;
    },
  };
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  child.stdout.on('data', (chunk: Buffer) => {
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
