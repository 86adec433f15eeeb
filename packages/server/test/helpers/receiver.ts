import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Responder = (req: Received, res: ServerResponse) => void | Promise<void>;

/** A real HTTP receiver on 127.0.0.1 and a free port that records everything it gets. */
export class TestReceiver {
  readonly received: Received[] = [];
  private responder: Responder = (_r, res) => {
    res.end('ok');
  };
  private waiters: { n: number; resolve: () => void }[] = [];
  private readonly server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      this.received.push(r);
      void Promise.resolve(this.responder(r, res)).then(() => this.check());
    });
  });
  port = 0;

  static async start(): Promise<TestReceiver> {
    const r = new TestReceiver();
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
    r.port = (r.server.address() as AddressInfo).port;
    return r;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  respond(fn: Responder): void {
    this.responder = fn;
  }

  /** POSTs only (URL checks and others left out). */
  get posts(): Received[] {
    return this.received.filter((r) => r.method === 'POST');
  }

  private check(): void {
    const n = this.posts.length;
    this.waiters = this.waiters.filter((w) => (n >= w.n ? (w.resolve(), false) : true));
  }

  /** Resolves once n POSTs have arrived; rejects after timeoutMs. */
  waitFor(n: number, timeoutMs = 10_000): Promise<void> {
    if (this.posts.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`receiver got ${this.posts.length} of ${n} requests in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
