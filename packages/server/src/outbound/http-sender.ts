import { Agent, request } from 'undici';
import type { AttemptErrorCode } from '../model.js';
import { BlockedAddressError, guardedLookup, isPublicAddress, literalIp } from './address-guard.js';
import { OriginLimiter } from './origin-limiter.js';

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
}

/**
 * POSTs requests with undici's dispatcher API (keep-alive pools per origin; several times
 * the throughput of fetch). Each attempt has a total deadline that also covers a receiver
 * that trickles bytes; the response body is read up to a cap and the rest dropped.
 */
export class HttpSender {
  private readonly agent: Agent;
  private readonly limiter: OriginLimiter;

  constructor(private readonly opts: SenderOptions) {
    this.limiter = new OriginLimiter(opts.connectionsPerOrigin);
    this.agent = new Agent({
      connections: opts.connectionsPerOrigin,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connect: opts.allowPrivateUrls ? {} : { lookup: guardedLookup as never },
    });
  }

  async send(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SendResult> {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      return { status_code: null, headers: null, body: null, truncated: false, duration_ms: 0, error_code: 'error', error_message: `Invalid URL ${url}`, retry_after_ms: null };
    }
    const release = await this.limiter.acquire(origin);
    try {
      return await this.sendNow(url, headers, body, timeoutMs);
    } finally {
      release();
    }
  }

  private async sendNow(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SendResult> {
    const started = performance.now();
    const done = (r: Partial<SendResult>): SendResult => ({
      status_code: null, headers: null, body: null, truncated: false, error_code: null, error_message: null,
      retry_after_ms: null, ...r, duration_ms: Math.round(performance.now() - started),
    });
    try {
      if (!this.opts.allowPrivateUrls) {
        // A literal IP never reaches the lookup hook: judge it here.
        const ip = literalIp(new URL(url).hostname);
        if (ip !== null && !isPublicAddress(ip)) throw new BlockedAddressError(ip, ip);
      }
      const res = await request(url, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(timeoutMs),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const { text, truncated } = await readCapped(res.body, this.opts.responseBodyLimit);
      const responseHeaders: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) {
        if (v !== undefined) responseHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
      }
      return done({
        status_code: res.statusCode,
        headers: responseHeaders,
        body: text,
        truncated,
        retry_after_ms: res.statusCode === 429 || res.statusCode === 503 ? parseRetryAfter(responseHeaders['retry-after']) : null,
      });
    } catch (err) {
      const { code, message } = classify(err);
      return done({ error_code: code, error_message: message });
    }
  }

  /** Called after the worker has finished or given back its work: requests still open are abandoned. */
  async close(): Promise<void> {
    await this.agent.destroy();
  }
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }, limit: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    if (size + chunk.length > limit) {
      chunks.push(chunk.subarray(0, limit - size));
      truncated = true;
      break; // leaving the loop destroys the stream: the rest is never read into memory
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  if (truncated) body.destroy();
  return { text: Buffer.concat(chunks).toString('utf8'), truncated };
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
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA') return { code: 'dns', message };
  if (/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code) || /certificate|TLS/i.test(message)) return { code: 'tls', message };
  return { code: 'error', message };
}
