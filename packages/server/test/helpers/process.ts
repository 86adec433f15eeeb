import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ADMIN_KEY } from './herald.js';
import type { TestStore } from './stores.js';

const BIN = fileURLToPath(new URL('../../bin/herald.js', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A real `herald serve` child process (the built command, as users run it). */
export class HeraldProcess {
  private exited: Promise<number | null>;
  output = '';

  private constructor(
    readonly proc: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  static async start(store: TestStore, env: Record<string, string> = {}, role = 'all'): Promise<HeraldProcess> {
    const port = await freePort();
    const proc = spawn(process.execPath, [BIN, 'serve', '--role', role], {
      env: {
        ...process.env,
        HERALD_PORT: String(port),
        HERALD_HOST: '127.0.0.1',
        HERALD_DATA_DIR: store.dataDir,
        ...(store.databaseUrl ? { HERALD_DATABASE_URL: store.databaseUrl } : {}),
        HERALD_ADMIN_KEY: ADMIN_KEY,
        HERALD_ALLOW_PRIVATE_URLS: 'true',
        HERALD_VALIDATE_URLS: 'false',
        HERALD_LOG_LEVEL: 'warn',
        // The topology under test (the second CI leg runs everything on one thread).
        ...(process.env.HERALD_TEST_THREADS ? { HERALD_THREADS: process.env.HERALD_TEST_THREADS } : {}),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const p = new HeraldProcess(proc, port);
    await p.waitReady();
    return p;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async waitReady(timeoutMs = 20_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (this.proc.exitCode !== null) throw new Error(`herald exited with ${this.proc.exitCode}: ${this.output}`);
      try {
        const r = await fetch(`${this.url}/healthz`);
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`herald not ready after ${timeoutMs} ms: ${this.output}`);
  }

  async api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  /** A counter's value from /metrics (summed over labels matching `labels`). */
  async metric(name: string, labels = ''): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
        if (labels && !line.includes(labels)) continue;
        sum += Number(line.split(' ').at(-1));
      }
    }
    return sum;
  }

  /** kill -9: no chance to clean up. */
  async crash(): Promise<void> {
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<number | null> {
    if (this.proc.exitCode !== null) return this.proc.exitCode;
    this.proc.kill('SIGTERM');
    return this.exited;
  }
}
