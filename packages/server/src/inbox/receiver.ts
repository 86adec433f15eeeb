/**
 * The inbox's HTTP side: verify, commit, answer. Nothing slow happens before the answer
 * (seed 004: "confirm the reception of this notification as soon as possible"): the handler
 * runs later, in the dispatcher.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { WebhookVerificationError, type Verifier } from '@herald/receiver';
import type { InboxStore, InsertResult } from './store.js';

export interface ReceiverDeps {
  store: InboxStore;
  verifier: Verifier;
  /** Lower-case name of the header that de-duplicates (`webhook-id`). */
  idHeader: string;
  maxBodyBytes: number;
  /** A new request is committed: the dispatcher may go. */
  onStored: (seq: number) => void;
  log: (line: string) => void;
  now?: () => number;
}

/**
 * Every Herald preset takes this answer as success: a 200 (Dialog Insight accepts nothing
 * else) whose body is exactly what the smarterbot preset requires.
 */
const ACCEPTED = '{"status":"success"}';

export function createInboxServer(deps: ReceiverDeps): Server {
  const now = deps.now ?? Date.now;
  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      deps.log(`error ${req.url ?? ''}: ${(err as Error).message}`);
      if (!res.headersSent) answer(res, 500, error('internal', 'The inbox failed to handle the request'));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    if (req.method !== 'POST') {
      deps.log(`refused ${req.method ?? '?'} ${path}: 405 (POST only)`);
      res.setHeader('allow', 'POST');
      answer(res, 405, error('method_not_allowed', 'The inbox takes POST requests only'));
      return;
    }
    const body = await readBody(req, deps.maxBodyBytes);
    if (body === undefined) {
      deps.log(`refused ${path}: 413 body over ${deps.maxBodyBytes} bytes`);
      res.setHeader('connection', 'close');
      answer(res, 413, error('body_too_large', `The body is over ${deps.maxBodyBytes} bytes`));
      return;
    }
    try {
      await deps.verifier.verify({ headers: req.headers, body });
    } catch (err) {
      if (err instanceof WebhookVerificationError && err.code !== 'bad_key') {
        deps.log(`refused ${path}: 401 ${err.code} (${err.message})`);
        answer(res, 401, error(err.code, err.message));
        return;
      }
      throw err;
    }
    const requestId = headerValue(req, deps.idHeader);
    let result: InsertResult;
    try {
      result = deps.store.insert({ requestId, receivedAt: now(), method: req.method, path, headers: pairs(req.rawHeaders), body });
    } catch (err) {
      // Not committed, so not acknowledged: the sender retries.
      deps.log(`cannot store ${requestId ?? path}: ${(err as Error).message}`);
      answer(res, 503, error('store_failed', 'The inbox could not store the request; retry later'));
      return;
    }
    if (result.stored) {
      const id = requestId === null ? `(no ${deps.idHeader}: not de-duplicated)` : requestId;
      deps.log(`received #${result.seq} ${id} ${path}: stored`);
      deps.onStored(result.seq);
    } else {
      deps.log(`duplicate ${requestId} ${path}: already stored as #${result.seq}, not stored again`);
    }
    answer(res, 200, ACCEPTED);
  }
}

/** The body's bytes, or undefined once it grows past the limit. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) return undefined;
    chunks.push(b);
  }
  return Buffer.concat(chunks, size);
}

function headerValue(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined || first.trim() === '' ? null : first.trim();
}

function pairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i] as string, raw[i + 1] as string]);
  return out;
}

function error(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

function answer(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(body);
}
