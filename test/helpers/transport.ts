/**
 * Network middlemen for the transport tests, all on 127.0.0.1: a CONNECT proxy, a TLS front
 * that serves the sandbox under another certificate, and a port where nothing listens.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

export interface Tunnel {
  /** What the client asked to CONNECT to: `0.0.0.0:8443`. */
  target: string;
  /** The first line the client sent through the tunnel, when it was plain http. */
  firstLine: string;
}

export interface ConnectProxy {
  url: string;
  tunnels: Tunnel[];
  close(): Promise<void>;
}

/** A port on 127.0.0.1 where nothing listens. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function listen(server: Server | TcpServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closeServer(server: Server | TcpServer, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

function pipeBoth(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
}

/**
 * A CONNECT proxy that tunnels to the requested port on 127.0.0.1, whatever host was named,
 * so a client may believe it talks to another machine while no packet leaves this one.
 * `refuseWebsocket` answers a websocket handshake inside a tunnel with 400, as some do;
 * `status` answers every CONNECT with that status instead (407: who are you?).
 */
export async function startConnectProxy(
  options: { refuseWebsocket?: boolean; status?: number } = {},
): Promise<ConnectProxy> {
  const tunnels: Tunnel[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => {
    res.statusCode = 405;
    res.end();
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    const target = req.url ?? '';
    const port = Number(/:(\d+)$/.exec(target)?.[1]);
    if (options.status) {
      tunnels.push({ target, firstLine: '' });
      client.end(`HTTP/1.1 ${options.status} No\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    const forward = (first: Buffer) => {
      const firstLine = first.toString('latin1').split('\r\n')[0] ?? '';
      tunnels.push({ target, firstLine: /^[A-Z]+ \S+ HTTP\/1\.1$/.test(firstLine) ? firstLine : '' });
      if (options.refuseWebsocket && /[?&]transport=websocket/.test(firstLine)) {
        client.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      const upstream = connect(port, '127.0.0.1', () => {
        upstream.write(first);
        pipeBoth(client, upstream);
      });
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
    };
    if (head.length > 0) forward(head);
    else client.once('data', forward);
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, tunnels, close: () => closeServer(server, sockets) };
}

/** Serves plain `port` on 127.0.0.1 as TLS with this certificate: another host, another CA. */
export async function startTlsFront(
  port: number,
  tls: { key: string; cert: string },
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTlsServer(tls, (client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    pipeBoth(client, upstream);
  });
  // A client that refuses the certificate leaves a handshake error here, which is expected.
  server.on('tlsClientError', () => undefined);
  const frontPort = await listen(server);
  return { port: frontPort, close: () => closeServer(server, sockets) };
}
