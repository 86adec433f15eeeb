import type { ChildProcess } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';

import { CommandProcess, runCommand, type CommandRun } from './command-process.js';

/** A real `herald inbox` child process (the built command), with its stdout lines. */
export class InboxProcess extends CommandProcess {
  port = 0;

  private constructor(proc: ChildProcess) {
    super(proc, 'inbox');
  }

  /** Starts `herald inbox <args>` and resolves once it listens (`--port 0` is added unless given). */
  static async start(args: string[], env: Record<string, string> = {}): Promise<InboxProcess> {
    const withPort = args.includes('--port') ? args : [...args, '--port', '0'];
    const inbox = new InboxProcess(CommandProcess.spawn('inbox', withPort, env));
    const line = await inbox.waitForLine(/listening on http:\/\/127\.0\.0\.1:(\d+)/, 20_000);
    inbox.port = Number(/:(\d+) /.exec(line)?.[1]);
    return inbox;
  }

  /** Runs `herald inbox <args>` to its exit: the code and what it printed. */
  static run(args: string[]): Promise<CommandRun> {
    return runCommand('inbox', args);
  }

  url(path = '/hooks'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }
}

export interface InboxRow {
  seq: number;
  request_id: string | null;
  state: string;
  attempts: number;
  body: Buffer;
  headers: string;
}

/** The inbox's SQLite file as another process sees it (WAL lets it read while the inbox runs). */
export function inboxRows(file: string): InboxRow[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT seq, request_id, state, attempts, body, headers FROM inbox_requests ORDER BY seq').all() as InboxRow[];
  } finally {
    db.close();
  }
}

export interface Handled {
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * The user's local handler: a real HTTP server on 127.0.0.1. `answer` decides each response;
 * it may leave a request hanging by not ending the response.
 */
export class LocalHandler {
  readonly received: Handled[] = [];
  answer: (req: Handled, res: ServerResponse) => void = (_req, res) => res.writeHead(200).end('ok');
  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const h = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      this.received.push(h);
      this.answer(h, res);
    });
  });

  /** Listens on port (0: any free one). */
  static async start(port = 0): Promise<LocalHandler> {
    const h = new LocalHandler();
    await new Promise<void>((resolve, reject) => {
      h.server.once('error', reject);
      h.server.listen(port, '127.0.0.1', resolve);
    });
    return h;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/local'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  ids(): string[] {
    return this.received.map((r) => String(r.headers['webhook-id']));
  }

  async waitFor(n: number, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.received.length < n) {
      if (Date.now() > until) throw new Error(`handler got ${this.received.length} of ${n} requests in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
