import { rejection } from './respond.js';
import { asVerifier, type Verifier, type VerifyOptions } from './verify.js';

/** The parts of a Hono `Context` this helper uses. */
export interface HonoLikeContext {
  req: { raw: { headers: Headers }; arrayBuffer(): Promise<ArrayBuffer> };
}

/**
 * Hono middleware: verifies the request's bytes and answers 401 `{error:{code}}` on failure.
 * Hono caches the body it read, so the handler can still call `await c.req.json()`.
 */
export function heraldHono(verifier: Verifier | VerifyOptions): (c: HonoLikeContext, next: () => Promise<void>) => Promise<Response | undefined> {
  const v = asVerifier(verifier);
  return async (c, next) => {
    try {
      await verifyHono(c, v);
    } catch (err) {
      const r = rejection(err);
      if (r === undefined) throw err;
      return new Response(JSON.stringify(r.body), { status: r.status, headers: { 'content-type': 'application/json' } });
    }
    await next();
    return undefined;
  };
}

/** Verifies inside a handler and returns the payload: `const event = await verifyHono(c, opts)`. */
export async function verifyHono(c: HonoLikeContext, verifier: Verifier | VerifyOptions): Promise<unknown> {
  const body = new Uint8Array(await c.req.arrayBuffer());
  return asVerifier(verifier).verify({ headers: c.req.raw.headers, body });
}
