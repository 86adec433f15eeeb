import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * x-request-id (docs/api.md#request-ids): the caller's id when it sent a usable one (1 to 200
 * printable ASCII characters), else a new UUID. Fastify keeps it as `req.id`, puts it in every
 * log line of the request (`reqId`, through the request's child logger) and Herald echoes it
 * on every answer; HERALD_INTERNAL errors carry it in `details.request_id`. An unusable id is
 * replaced rather than refused: a tracing header should never cost the caller its request.
 */
export const REQUEST_ID_HEADER = 'x-request-id';
export const MAX_REQUEST_ID_LENGTH = 200;

const PRINTABLE = /^[\x20-\x7e]+$/;

export function requestIdOf(req: IncomingMessage): string {
  const sent = req.headers[REQUEST_ID_HEADER];
  if (typeof sent === 'string') {
    const id = sent.trim();
    if (id.length > 0 && id.length <= MAX_REQUEST_ID_LENGTH && PRINTABLE.test(id)) return id;
  }
  return randomUUID();
}

/** Fastify's options for request ids: Herald's own (requestIdOf) rather than the header as sent; logged as `reqId`. */
export const requestIdOptions = { requestIdHeader: false, genReqId: requestIdOf } as const;
