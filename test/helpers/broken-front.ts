/**
 * A server on 127.0.0.1 in front of the sandbox that misbehaves on chosen API routes (drips,
 * answers too much, redirects, limits) and passes every other request through unchanged. A
 * client pointed at it talks to the sandbox except where a test says otherwise.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Answers the request itself, or returns false to let it through to the sandbox. */
export type Misbehaviour = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface BrokenFront {
  url: string;
  /** Adds a misbehaviour, tried before the ones added earlier; returns its remover. */
  use(misbehaviour: Misbehaviour): () => void;
  /** The request lines (method and path) seen, oldest first. */
  seen: string[];
  close(): Promise<void>;
}

export async function startBrokenFront(sandboxUrl: string): Promise<BrokenFront> {
  const upstream = new URL(sandboxUrl);
  const misbehaviours: Misbehaviour[] = [];
  const sockets = new Set<Socket>();
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.on('error', () => undefined);
    for (const misbehaviour of misbehaviours) if (misbehaviour(req, res)) return;
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    use(misbehaviour) {
      misbehaviours.unshift(misbehaviour);
      return () => {
        const i = misbehaviours.indexOf(misbehaviour);
        if (i >= 0) misbehaviours.splice(i, 1);
      };
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A route that answers 200 JSON headers at once, then one byte every `everyMs` for ever. */
export function drip(path: RegExp, everyMs: number): Misbehaviour {
  return (req, res) => {
    if (!path.test(req.url ?? '')) return false;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('[');
    const timer = setInterval(() => res.write(' '), everyMs);
    res.on('close', () => clearInterval(timer));
    return true;
  };
}
