/**
 * @herald/receiver: verify Herald webhooks of every scheme, on any runtime with WebCrypto.
 * No runtime dependencies; the framework helpers accept structural types, not the frameworks.
 */
export { WebhookVerificationError, type VerificationErrorCode } from './errors.js';
export { DEFAULT_HEADERS, SIGNATURE_SCHEMES, type SignatureScheme } from './schemes.js';
export type { HeaderSource } from './headers.js';
export { createVerifier, verify, verifyRequest, type Verifier, type VerifyOptions, type WebhookRequestParts } from './verify.js';
export { RawBodyRequiredError } from './respond.js';
export { heraldExpress, type ExpressLikeNext, type ExpressLikeRequest, type ExpressLikeResponse, type ExpressOptions } from './express.js';
export { heraldFastify, keepRawBody, type FastifyLikeReply, type FastifyLikeRequest } from './fastify.js';
export { heraldHono, verifyHono, type HonoLikeContext } from './hono.js';
