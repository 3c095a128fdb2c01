/**
 * The event stream: a real socket.io 4 server at `<base>/socket.io`, namespace `/events`,
 * behaving as Zou's zou-events process behind nginx (src/kitsu/README.md, Event stream). The token is
 * checked once, from the handshake request's header or cookie; a refused connection gets the
 * DISCONNECT-then-CONNECT_ERROR pair that python-socketio sends; every event is broadcast to
 * every connected `/events` socket. The controls drop, refuse or silence sockets the ways a
 * real deployment fails.
 */
import type { IncomingHttpHeaders, IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Server } from 'socket.io';

/** The engine.io socket internals that silencing has to reach: the ping timers and the sender. */
interface EngineSocket {
  readyState: string;
  pingIntervalTimer: NodeJS.Timeout | null;
  pingTimeoutTimer: NodeJS.Timeout | null;
  sendPacket: (...args: unknown[]) => void;
  schedulePing(): void;
  close(): void;
  transport: { name: string; socket?: { terminate?: () => void } };
  once(event: 'close', listener: () => void): void;
}

export const NGINX_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

export interface StreamOptions {
  path: string;
  pingInterval: number;
  pingTimeout: number;
  /** True when the handshake request carries a token the API would accept. */
  accept(headers: IncomingHttpHeaders): boolean;
}

export class EventStream {
  readonly io: Server;
  private stopped = false;
  private readonly silenced = new Set<EngineSocket>();

  constructor(
    httpServer: HttpServer,
    private readonly options: StreamOptions,
  ) {
    this.io = new Server(httpServer, {
      path: options.path,
      serveClient: false,
      pingInterval: options.pingInterval,
      pingTimeout: options.pingTimeout,
    });
    // The sandbox routes requests itself (see handleRequest), so that a stopped stream can
    // answer at the transport as nginx does when zou-events is down.
    httpServer.removeAllListeners('request');
    httpServer.removeAllListeners('upgrade');

    this.io.of('/events').use((socket, next) => {
      if (this.options.accept(socket.handshake.headers)) {
        next();
        return;
      }
      // Zou calls disconnect() and then returns False: python-socketio sends DISCONNECT, then
      // CONNECT_ERROR. socket.io-client 4 acts on the first ("io server disconnect") and
      // never sees the second. socket.io's own refusal would send only the CONNECT_ERROR.
      socket.conn.write('1/events,');
      next(new Error('Connection rejected by server'));
    });
  }

  /** True for a path this stream serves: `<path>/…`. */
  owns(pathname: string): boolean {
    return pathname === this.options.path || pathname.startsWith(`${this.options.path}/`);
  }

  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.stopped) {
      res.writeHead(502, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(NGINX_502) });
      res.end(NGINX_502);
      return;
    }
    this.io.engine.handleRequest(req as never, res);
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.stopped || !this.owns(new URL(req.url ?? '/', 'http://x').pathname)) {
      const status = this.stopped ? '502 Bad Gateway' : '404 Not Found';
      socket.end(
        `HTTP/1.1 ${status}\r\nContent-Type: text/html\r\nContent-Length: ${this.stopped ? Buffer.byteLength(NGINX_502) : 0}\r\nConnection: close\r\n\r\n${this.stopped ? NGINX_502 : ''}`,
      );
      return;
    }
    this.io.engine.handleUpgrade(req as never, socket, head);
  }

  broadcast(name: string, data: Record<string, unknown>): void {
    this.io.of('/events').emit(name, data);
  }

  connectedSockets(): number {
    return this.io.of('/events').sockets.size;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private engineSockets(): EngineSocket[] {
    return Object.values((this.io.engine as unknown as { clients: Record<string, EngineSocket> }).clients);
  }

  /** Drops every engine connection, as a dying zou-events process does, and waits for them. */
  private async dropAll(): Promise<void> {
    const closing = this.engineSockets().map(
      (conn) =>
        new Promise<void>((resolve) => {
          if (conn.readyState === 'closed') return resolve();
          const timer = setTimeout(resolve, 2000);
          conn.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          this.release(conn);
          // A dying process drops its TCP connections; it does not close websockets politely.
          const ws = conn.transport.name === 'websocket' ? conn.transport.socket : undefined;
          if (ws?.terminate) ws.terminate();
          else conn.close();
        }),
    );
    await Promise.all(closing);
  }

  async restart(): Promise<void> {
    await this.dropAll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.dropAll();
  }

  resume(): void {
    this.stopped = false;
  }

  /**
   * Freezes the connections open now, as a half-open TCP connection does: no event and no
   * ping reaches them, and the server stops expecting pongs, so only the client's own ping
   * time-out can notice. Connections made later are not affected.
   */
  silence(): void {
    for (const conn of this.engineSockets()) {
      if (conn.readyState !== 'open' || this.silenced.has(conn)) continue;
      this.silenced.add(conn);
      if (conn.pingIntervalTimer) clearTimeout(conn.pingIntervalTimer);
      if (conn.pingTimeoutTimer) clearTimeout(conn.pingTimeoutTimer);
      conn.pingTimeoutTimer = null;
      conn.sendPacket = () => {};
      conn.once('close', () => this.silenced.delete(conn));
    }
  }

  unsilence(): void {
    for (const conn of [...this.silenced]) {
      this.release(conn);
      if (conn.readyState === 'open') conn.schedulePing();
    }
  }

  private release(conn: EngineSocket): void {
    if (!this.silenced.delete(conn)) return;
    // The instance property shadowed the prototype's sendPacket; removing it restores it.
    delete (conn as Partial<EngineSocket>).sendPacket;
  }

  async close(): Promise<void> {
    for (const conn of [...this.silenced]) this.release(conn);
    await new Promise<void>((resolve) => {
      void this.io.close(() => resolve());
    });
  }
}
