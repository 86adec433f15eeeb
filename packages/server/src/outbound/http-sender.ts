import { Agent, type Dispatcher } from 'undici';
import type { AttemptErrorCode } from '../model.js';
import { BlockedAddressError, guardedLookupWith, isDnsErrorCode, isPublicAddress, literalIp, systemResolver, type Resolver } from './address-guard.js';
import { ClientAgents } from './client-agents.js';
import type { ClientIdentity } from './client-certificate.js';
import { OriginLimiter } from './origin-limiter.js';
import { CaptureHandler } from './capture-handler.js';

export interface SendResult {
  status_code: number | null;
  headers: Record<string, string> | null;
  body: string | null;
  truncated: boolean;
  duration_ms: number;
  error_code: AttemptErrorCode | null;
  error_message: string | null;
  /** Retry-After of a 429/503, in ms. */
  retry_after_ms: number | null;
}

export interface SenderOptions {
  connectionsPerOrigin: number;
  responseBodyLimit: number;
  allowPrivateUrls: boolean;
  /** Every CA outbound TLS trusts (default: Node's bundled roots); see trust.ts. */
  trustedCas?: readonly string[] | undefined;
  /** Name resolution for the address guard (default: the system's); tests pass one that changes its answer. */
  resolve?: Resolver | undefined;
}

/** One outbound request: a delivery POST, or a URL validation POST or HEAD. */
export interface OutboundRequest {
  method: 'POST' | 'HEAD';
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** The webhook's client certificate (mutual TLS), if it has one. */
  identity?: ClientIdentity | null | undefined;
}

/** A parsed destination; `blocked` names a literal private IP the guard refuses. */
interface Target {
  url: string;
  origin: string;
  path: string;
  blocked: string | null;
}

/** Distinct URLs whose parse is kept (cleared when full). */
const TARGET_CACHE = 10_000;

/**
 * POSTs requests with undici's dispatcher API (keep-alive pools per origin; several times
 * the throughput of fetch). Each attempt has a total deadline that also covers a receiver
 * that trickles bytes; the response body is read up to a cap and the rest dropped.
 */
export class HttpSender {
  private readonly agent: Agent;
  private readonly clientAgents: ClientAgents;
  private readonly limiter: OriginLimiter;
  private readonly targets = new Map<string, Target>();
  /** The resolver the address guard uses; URL checks at save time use the same one. */
  readonly resolve: Resolver;

  constructor(private readonly opts: SenderOptions) {
    this.limiter = new OriginLimiter(opts.connectionsPerOrigin);
    this.resolve = opts.resolve ?? systemResolver;
    const connect = {
      ...(opts.allowPrivateUrls ? {} : { lookup: guardedLookupWith(this.resolve) as never }),
      ...(opts.trustedCas ? { ca: [...opts.trustedCas] } : {}),
    };
    const pool = (tls: ClientIdentity['tls'] | null) => new Agent({
      connections: opts.connectionsPerOrigin,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connect: { ...connect, ...tls },
    });
    this.agent = pool(null);
    this.clientAgents = new ClientAgents(pool);
  }

  /** POSTs a delivery; with an identity, over the webhook's own mutual-TLS connections. */
  async send(url: string, headers: Record<string, string>, body: string, timeoutMs: number, identity?: ClientIdentity | null): Promise<SendResult> {
    return this.request(url, { method: 'POST', headers, body, timeoutMs, identity });
  }

  async request(url: string, req: OutboundRequest): Promise<SendResult> {
    const target = this.target(url);
    if (!target) {
      return { status_code: null, headers: null, body: null, truncated: false, duration_ms: 0, error_code: 'error', error_message: `Invalid URL ${url}`, retry_after_ms: null };
    }
    const release = this.limiter.tryAcquire(target.origin) ?? await this.limiter.acquire(target.origin);
    try {
      const dispatcher = req.identity ? this.clientAgents.get(req.identity) : this.agent;
      return await this.sendNow(target, req, dispatcher);
    } finally {
      release();
    }
  }

  /** Origin and path of a URL, parsed once per distinct URL (a webhook's URL is sent to many times). */
  private target(url: string): Target | null {
    let t = this.targets.get(url);
    if (t) return t;
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return null;
    }
    // A literal IP never reaches the lookup hook: it is judged here.
    const ip = literalIp(u.hostname);
    t = { url, origin: u.origin, path: `${u.pathname}${u.search}`, blocked: !this.opts.allowPrivateUrls && ip !== null && !isPublicAddress(ip) ? ip : null };
    if (this.targets.size >= TARGET_CACHE) this.targets.clear();
    this.targets.set(url, t);
    return t;
  }

  private sendNow(target: Target, req: OutboundRequest, dispatcher: Dispatcher): Promise<SendResult> {
    const started = performance.now();
    const duration = () => Math.round(performance.now() - started);
    const failed = (err: unknown): SendResult => {
      const { code, message } = classify(err);
      // A receiver that demands a client certificate often just closes the TLS connection.
      const hint = code === 'connection_reset' && target.url.startsWith('https:') && !req.identity
        ? ' (if the receiver requires a client certificate, upload one: mutual TLS)' : '';
      return { status_code: null, headers: null, body: null, truncated: false, duration_ms: duration(), error_code: code, error_message: message + hint, retry_after_ms: null };
    };
    if (target.blocked) return Promise.resolve(failed(new BlockedAddressError(target.blocked, target.blocked)));
    return new Promise<SendResult>((resolve) => {
      // The deadline covers waiting for a socket, the headers and the whole body.
      const timer = setTimeout(() => handler.end(new DOMException('The attempt deadline passed', 'TimeoutError')), req.timeoutMs);
      const handler = new CaptureHandler(this.opts.responseBodyLimit, (c) => {
        clearTimeout(timer);
        if (!c.ok) return resolve(failed(c.error));
        resolve({
          status_code: c.status, headers: c.headers, body: c.body, truncated: c.truncated, duration_ms: duration(),
          error_code: null, error_message: null,
          retry_after_ms: c.status === 429 || c.status === 503 ? parseRetryAfter(c.headers['retry-after']) : null,
        });
      });
      try {
        dispatcher.dispatch({
          origin: target.origin,
          path: target.path,
          method: req.method,
          headers: req.headers,
          body: req.body ?? null,
          // The timer above is the deadline: undici's own timeouts run on a coarse clock that can
          // fire up to half a second early, so they only back it up.
          headersTimeout: req.timeoutMs + 1000,
          bodyTimeout: req.timeoutMs + 1000,
        }, handler);
      } catch (err) {
        handler.end(err as Error);
      }
    });
  }

  /** The origin requests to `url` count against (null for a URL that does not parse). */
  originOf(url: string): string | null {
    return this.target(url)?.origin ?? null;
  }

  /** Origins with at least `min` requests waiting for a slot. */
  crowdedOrigins(min: number): Set<string> {
    return this.limiter.crowded(min);
  }

  /** Requests waiting for a slot of their origin (a metric). */
  get waiting(): number {
    return this.limiter.queued;
  }

  /** Called after the worker has finished or given back its work: requests still open are abandoned. */
  async close(): Promise<void> {
    this.limiter.stopAdjusting();
    await Promise.all([this.agent.destroy(), this.clientAgents.close()]);
  }
}

export function parseRetryAfter(v: string | undefined): number | null {
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/** Maps undici and socket errors to stable attempt error codes. */
export function classify(err: unknown): { code: AttemptErrorCode; message: string } {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  const message = e.cause?.message ?? e.message ?? String(err);
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return { code: 'timeout', message: 'The receiver did not answer within the timeout' };
  }
  if (code === 'HERALD_BLOCKED_ADDRESS') return { code: 'blocked_address', message };
  if (code === 'ECONNREFUSED') return { code: 'connect_refused', message };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return { code: 'connection_reset', message };
  if (isDnsErrorCode(code)) return { code: 'dns', message };
  if (/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_OSSL/.test(code) || /certificate|TLS/i.test(message)) {
    const untrusted = /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code);
    return { code: 'tls', message: untrusted ? `${message}: the receiver's certificate is not signed by a trusted CA (an operator can trust its CA with HERALD_TRUSTED_CA_FILE)` : message };
  }
  return { code: 'error', message };
}
