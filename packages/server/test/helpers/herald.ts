import { configFromEnv, makeConfig, startHerald, type Herald } from '../../src/index.js';
import { createLogger } from '../../src/ops/logger.js';
import { freshStore, type StoreKind, type TestStore } from './stores.js';

export const ADMIN_KEY = 'test-admin-key-0123456789';

/**
 * The topology tests run on: the shipped default (`engine`: the engine on a thread of its own),
 * or `single` when HERALD_TEST_THREADS says so (the second CI leg). A test that reaches into the
 * engine's objects (herald.worker, herald.alerts…) asks for `threads: 'single'` itself.
 */
export const TEST_THREADS = configFromEnv({ HERALD_THREADS: process.env.HERALD_TEST_THREADS }).threads;

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A Herald running in this process on a fresh store, with a small API client. */
export class TestHerald {
  private constructor(
    readonly herald: Herald,
    readonly store: TestStore,
  ) {}

  static async start(kind: StoreKind, overrides: Parameters<typeof makeConfig>[0] = {}, store?: TestStore): Promise<TestHerald> {
    const s = store ?? (await freshStore(kind));
    const config = makeConfig({
      port: 0,
      host: '127.0.0.1',
      dataDir: s.dataDir,
      databaseUrl: s.databaseUrl,
      adminKey: ADMIN_KEY,
      allowPrivateUrls: true,
      // Most tests save URLs nobody answers yet; url-validation.test.ts turns the check on.
      validateUrls: false,
      logLevel: 'silent',
      threads: TEST_THREADS,
      ...overrides,
    });
    const herald = await startHerald(config, { logger: createLogger(process.env.HERALD_TEST_LOG ?? 'silent') });
    return new TestHerald(herald, s);
  }

  get url(): string {
    return this.herald.url;
  }

  async api<T = any>(method: string, path: string, body?: unknown, opts: { key?: string | null; raw?: string; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    const key = opts.key === undefined ? ADMIN_KEY : opts.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let payload: string | undefined;
    if (opts.raw !== undefined) payload = opts.raw;
    else if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.url}/api/v1${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  /**
   * A sample of /metrics, e.g. `herald_deliveries_in_flight` or
   * `herald_deliveries_completed_total{outcome="succeeded"}` (the engine thread's figures
   * included, whichever topology runs); null when absent.
   */
  async metric(sample: string): Promise<number | null> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
    return line === undefined ? null : Number(line.slice(sample.length + 1));
  }

  /** Creates an org and a webhook to `url` for `events`; answers the webhook (with its key). */
  async setup(url: string, events: string[] = ['conversation.created'], extra: Record<string, unknown> = {}, org = 'acme') {
    const o = await this.api('POST', '/orgs', { id: org, name: 'Acme', owner_email: 'owner@acme.test' });
    if (o.status !== 201 && o.status !== 409) throw new Error(`org: ${o.status} ${JSON.stringify(o.body)}`);
    const w = await this.api('POST', `/orgs/${org}/webhooks`, { url, events, ...extra });
    if (w.status !== 201) throw new Error(`webhook: ${w.status} ${JSON.stringify(w.body)}`);
    return w.body;
  }

  /** Stops Herald; keeps the store unless `cleanup`. */
  async stop(cleanup = true): Promise<void> {
    await this.herald.close();
    if (cleanup) await this.store.cleanup();
  }
}

/** Polls until fn() is truthy (or throws after timeoutMs). */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, stepMs = 25): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
