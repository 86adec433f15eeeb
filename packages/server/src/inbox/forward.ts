import { request as undiciRequest } from 'undici';
import type { HandoffHandler } from './handoff.js';

/** Connection-level headers of the inbound hop; undici sets its own for the outbound one. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'content-length',
  'expect',
  'host',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * `--forward-to`: POSTs the stored body and headers, as received, to a local URL. Any 2xx is
 * success; anything else (status, refused connection, timeout) is retried by the dispatcher.
 */
export function forwardHandler(url: string, timeoutMs: number): HandoffHandler {
  return async (req) => {
    const headers: string[] = [];
    for (const [name, value] of req.headers) {
      if (!HOP_BY_HOP.has(name.toLowerCase())) headers.push(name, value);
    }
    const started = performance.now();
    try {
      const res = await undiciRequest(url, { method: 'POST', headers, body: req.body, signal: AbortSignal.timeout(timeoutMs) });
      // The answer's body is not used; read it so the connection can be reused.
      await res.body.dump();
      const ms = Math.round(performance.now() - started);
      if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, detail: `${res.statusCode} in ${ms} ms` };
      return { ok: false, error: `${url} answered ${res.statusCode}` };
    } catch (err) {
      const e = err as { code?: string; name?: string; message?: string };
      if (e.name === 'TimeoutError' || e.name === 'AbortError') return { ok: false, error: `${url} did not answer within ${timeoutMs} ms` };
      return { ok: false, error: `${url}: ${e.code ?? e.name ?? 'error'} ${e.message ?? ''}`.trim() };
    }
  };
}
