import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HeraldError } from '../errors.js';
import { toProblem } from './problems.js';

/**
 * Longest path parameter Herald routes accept (Fastify's default is 100, below the 128
 * characters an event type name may have: such a type could be created and never read).
 */
export const MAX_PARAM_LENGTH = 256;

/** Maps anything thrown in a request to a HeraldError with the right status. */
export function toHeraldError(err: FastifyError | HeraldError | Error, bodyLimit: number): HeraldError {
  if (err instanceof HeraldError) return err;
  const e = err as FastifyError;
  if (e.validation) {
    return new HeraldError('HERALD_VALIDATION_FAILED', [], { part: e.validationContext, problems: e.validation.map(toProblem) });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HeraldError('HERALD_BODY_TOO_LARGE', [bodyLimit]);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HeraldError('HERALD_UNSUPPORTED_MEDIA_TYPE');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new HeraldError('HERALD_INVALID_JSON');
    case 'FST_ERR_BAD_URL':
      return new HeraldError('HERALD_PATH_MALFORMED', [e.message]);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new HeraldError('HERALD_PATH_TOO_LONG', [MAX_PARAM_LENGTH]);
  }
  if (err instanceof SyntaxError || (e.statusCode === 400 && /JSON/i.test(e.message))) return new HeraldError('HERALD_INVALID_JSON');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new HeraldError('HERALD_BAD_REQUEST', [e.message]);
  }
  return new HeraldError('HERALD_INTERNAL');
}

/**
 * Fastify answers a few errors before any route or error handler runs (a path that is not
 * valid percent-encoding, a path parameter over maxParamLength): this gives them Herald's form.
 */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  void reply.header('x-request-id', req.id);
  let herald = toHeraldError(err, 0);
  if (herald.code === 'HERALD_INTERNAL') {
    req.log.error({ err }, 'request failed before routing');
    herald = new HeraldError('HERALD_INTERNAL', [req.id], { request_id: req.id });
  }
  void reply.status(herald.status).send(herald.toJSON());
}

/** The Herald error for what Node's HTTP parser could not read (its `clientError` event). */
export function clientErrorFor(err: Error & { code?: string }): HeraldError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new HeraldError('HERALD_HEADERS_TOO_LARGE');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new HeraldError('HERALD_REQUEST_TIMEOUT');
    default:
      return new HeraldError('HERALD_HTTP_MALFORMED', [err.code ?? 'unreadable request']);
  }
}

/**
 * Answers a request the HTTP parser refused, then closes the connection: after a parse error
 * nothing more can be read from it, so the answer says `Connection: close` and a keep-alive
 * client opens a new connection for its next request instead of writing into a dead one.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const herald = clientErrorFor(err);
  const body = JSON.stringify(herald.toJSON());
  socket.end(
    `HTTP/1.1 ${herald.status} ${STATUS_CODES[herald.status] ?? 'Error'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
