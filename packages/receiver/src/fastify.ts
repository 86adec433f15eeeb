import type { HeaderSource } from './headers.js';
import { RawBodyRequiredError, rejection } from './respond.js';
import { asVerifier, type Verifier, type VerifyOptions } from './verify.js';

export interface FastifyLikeRequest {
  headers: HeaderSource;
  body?: unknown;
}

export interface FastifyLikeReply {
  code(status: number): { send(payload: unknown): unknown };
}

/**
 * A content-type parser that keeps the bytes, so they can be verified:
 * `app.addContentTypeParser('application/json', { parseAs: 'buffer' }, keepRawBody)`
 * (inside an encapsulated plugin if other routes still want parsed JSON).
 */
export function keepRawBody(_request: unknown, body: Uint8Array | string, done: (err: Error | null, body?: unknown) => void): void {
  done(null, body);
}

/**
 * A Fastify `preHandler`: verifies, then replaces `request.body` with the parsed payload.
 * Failed checks answer 401 `{error:{code}}`.
 */
export function heraldFastify(verifier: Verifier | VerifyOptions): (request: FastifyLikeRequest, reply: FastifyLikeReply) => Promise<unknown> {
  const v = asVerifier(verifier);
  return async (request, reply) => {
    const body = request.body;
    if (!(body instanceof Uint8Array) && typeof body !== 'string') {
      throw new RawBodyRequiredError('Fastify', "Register keepRawBody: app.addContentTypeParser('application/json', { parseAs: 'buffer' }, keepRawBody).");
    }
    try {
      request.body = await v.verify({ headers: request.headers, body });
      return undefined;
    } catch (err) {
      const r = rejection(err);
      if (r === undefined) throw err;
      // Returning the reply tells Fastify the hook answered and the handler must not run.
      return reply.code(r.status).send(r.body);
    }
  };
}
