/**
 * A real SMTP server in a child process on 127.0.0.1 and a free port (smtp-server, messages
 * parsed with mailparser). The child reports its port and every message as JSON lines on
 * stdout; this file is both the parent's helper and, run with --herald-smtp-child, the child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface ReceivedMail {
  /** Envelope recipients (RCPT TO). */
  to: string[];
  from: string | null;
  subject: string;
  text: string;
  /** X-Herald-* headers, lower-cased names. */
  headers: Record<string, string>;
  at: number;
}

type ChildLine = { type: 'listening'; port: number } | ({ type: 'mail' } & ReceivedMail) | { type: 'refused'; at: number };

const CHILD_FLAG = '--herald-smtp-child';

export class TestSmtpServer {
  readonly mails: ReceivedMail[] = [];
  /** Messages the server refused on purpose (failFirst). */
  refused = 0;
  port = 0;
  private waiters: (() => void)[] = [];

  private constructor(private readonly child: ChildProcess) {}

  /** Starts the child; with failFirst, the first n messages are answered 451 (try again later). */
  static async start(opts: { failFirst?: number } = {}): Promise<TestSmtpServer> {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), CHILD_FLAG], {
      env: { ...process.env, HERALD_SMTP_FAIL_FIRST: String(opts.failFirst ?? 0) },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const server = new TestSmtpServer(child);
    const lines = createInterface({ input: child.stdout! });
    const listening = new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('SMTP child did not start within 10 s')), 10_000);
      child.once('exit', (code) => reject(new Error(`SMTP child exited with ${code}`)));
      lines.on('line', (line) => {
        const msg = JSON.parse(line) as ChildLine;
        if (msg.type === 'listening') {
          clearTimeout(t);
          resolve(msg.port);
        } else if (msg.type === 'refused') {
          server.refused++;
        } else {
          const { type: _type, ...mail } = msg;
          server.mails.push(mail);
          for (const w of server.waiters.splice(0)) w();
        }
      });
    });
    server.port = await listening;
    return server;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Mails about one webhook (X-Herald-Webhook), in arrival order. */
  about(webhookId: string): ReceivedMail[] {
    return this.mails.filter((m) => m.headers['x-herald-webhook'] === webhookId);
  }

  /** Resolves with the mails about a webhook once there are at least n; rejects after timeoutMs. */
  async waitFor(webhookId: string, n: number, timeoutMs = 10_000): Promise<ReceivedMail[]> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const got = this.about(webhookId);
      if (got.length >= n) return got;
      const left = until - Date.now();
      if (left <= 0) throw new Error(`got ${got.length} of ${n} mails about ${webhookId} in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin?.end();
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** The child: an SMTP server that accepts anything from anyone (loopback only) and reports it. */
async function runChild(): Promise<void> {
  const { SMTPServer } = await import('smtp-server');
  const { simpleParser } = await import('mailparser');
  let failLeft = Number(process.env.HERALD_SMTP_FAIL_FIRST ?? 0);
  const out = (line: ChildLine) => process.stdout.write(`${JSON.stringify(line)}\n`);
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then((m) => {
        if (failLeft > 0) {
          failLeft--;
          out({ type: 'refused', at: Date.now() });
          callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
          return;
        }
        const headers: Record<string, string> = {};
        for (const [name, value] of m.headers) if (name.startsWith('x-herald-')) headers[name] = String(value);
        out({
          type: 'mail',
          to: session.envelope.rcptTo.map((r) => r.address),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
          subject: m.subject ?? '',
          text: m.text ?? '',
          headers,
          at: Date.now(),
        });
        callback();
      }, (err: Error) => callback(err));
    },
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.server.address();
    out({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  // The parent went away without stopping us: do not linger.
  process.stdin.on('end', stop);
  process.stdin.resume();
}

if (process.argv.includes(CHILD_FLAG)) await runChild();
