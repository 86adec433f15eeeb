import type { HeaderSource } from './headers.js';
import { RawBodyRequiredError, rejection } from './respond.js';
import { asVerifier, type Verifier, type VerifyOptions } from './verify.js';

/** The parts of an Express (or plain Node http) request this helper uses. */
export interface ExpressLikeRequest {
  headers: HeaderSource;
  body?: unknown;
  readableEnded?: boolean;
  [Symbol.asyncIterator]?: () => AsyncIterator<unknown>;
}

export interface ExpressLikeResponse {
  status(code: number): { json(body: unknown): unknown };
}

export type ExpressLikeNext = (err?: unknown) => void;

export interface ExpressOptions {
  /** The largest body read from the stream, in bytes. Default 5 MiB. */
  limitBytes?: number;
}

const DEFAULT_LIMIT = 5 * 1024 * 1024;

/**
 * Express middleware: verifies, then replaces `req.body` with the parsed payload and calls
 * `next()`. Mount it on the webhook route before any JSON body parser runs on that route, or
 * after `express.raw({ type: 'application/json' })`. Failed checks answer 401 `{error:{code}}`.
 */
export function heraldExpress(
  verifier: Verifier | VerifyOptions,
  options: ExpressOptions = {},
): (req: ExpressLikeRequest, res: ExpressLikeResponse, next: ExpressLikeNext) => void {
  const v = asVerifier(verifier);
  const limit = options.limitBytes ?? DEFAULT_LIMIT;
  return (req, res, next) => {
    rawBody(req, limit)
      .then((body) => {
        if (body === undefined) {
          next(new RawBodyRequiredError('Express', "Mount heraldExpress before express.json(), or use express.raw({ type: 'application/json' }) on this route."));
          return;
        }
        if (body === 'too_large') {
          res.status(413).json({ error: { code: 'body_too_large', message: `The body is larger than ${limit} bytes` } });
          return;
        }
        return v.verify({ headers: req.headers, body }).then((payload) => {
          req.body = payload;
          next();
        });
      })
      .catch((err: unknown) => {
        const r = rejection(err);
        if (r === undefined) next(err);
        else res.status(r.status).json(r.body);
      });
  };
}

async function rawBody(req: ExpressLikeRequest, limit: number): Promise<Uint8Array | string | 'too_large' | undefined> {
  if (req.body instanceof Uint8Array || typeof req.body === 'string') return req.body;
  const iterate = req[Symbol.asyncIterator];
  // A parser already drained the stream (req.body is its object): the bytes are gone.
  if (iterate === undefined || req.readableEnded === true) return undefined;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const iterator = iterate.call(req);
  for (let step = await iterator.next(); step.done !== true; step = await iterator.next()) {
    const chunk = typeof step.value === 'string' ? new TextEncoder().encode(step.value) : step.value;
    if (!(chunk instanceof Uint8Array)) return undefined;
    size += chunk.length;
    if (size > limit) {
      await iterator.return?.();
      return 'too_large';
    }
    chunks.push(chunk);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}
