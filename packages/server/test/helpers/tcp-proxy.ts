/**
 * A TCP proxy on 127.0.0.1 between a client and a real broker, that a test can cut (every
 * socket destroyed, nothing listening: the broker "went away") and restore on the same port,
 * turn into a black hole (connections accepted, nothing forwarded: a broker that hangs), or
 * mute (open connections still carry what the client sends; the broker's answers are held).
 * The brokers are shared system services: tests simulate outages here, never by stopping them.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Connections accepted so far (each is one connection the client opened). */
  readonly accepted: number;
  /** Destroys every connection and stops listening. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  /** While on, new connections are accepted and never forwarded. */
  blackHole(on: boolean): void;
  /** From now on, open connections stop passing the broker's answers to the client (for good). */
  mute(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let holeOn = false;
  let accepted = 0;
  const upstreams = new Map<Socket, Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server: Server = createServer((client) => {
    track(client);
    accepted += 1;
    if (holeOn) return;
    const upstream = connect(targetPort, targetHost);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    upstreams.set(upstream, client);
    upstream.on('close', () => upstreams.delete(upstream));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await listen(server, 0);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('The proxy has no TCP port');
  const port = address.port;
  const destroyAll = (): void => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  return {
    port,
    get accepted() {
      return accepted;
    },
    async cut() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      destroyAll();
      await closed;
    },
    async restore() {
      await listen(server, port);
    },
    blackHole(on) {
      holeOn = on;
    },
    mute() {
      for (const [upstream, client] of upstreams) {
        upstream.unpipe(client);
        upstream.pause();
      }
    },
    async close() {
      destroyAll();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
