import type { TSchema } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import { ErrorResponse } from './response-schemas.js';

/** The Fastify instance route modules get: request parts and replies typed from the route's TypeBox schemas. */
export type ApiInstance = FastifyInstance<
  RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider
>;

interface RouteSpec {
  /** Unique, camelCase: the method name generated clients use. */
  operationId: string;
  tags: string[];
  summary: string;
  params?: TSchema;
  body?: TSchema;
  querystring?: TSchema;
  /** The success answers by status (a 204 is NoContent); every route also answers Error on 4xx and 5xx. */
  response: Record<number, TSchema>;
}

/** A route's schema: one source for validation, handler types and /openapi.json. */
export function route<const S extends RouteSpec>(s: S) {
  const { response, ...rest } = s;
  return {
    schema: {
      ...rest,
      security: [{ bearer: [] }],
      // Object.assign keeps the success statuses in the type (a spread of a generic loses them).
      response: Object.assign({}, response, { '4xx': ErrorResponse, '5xx': ErrorResponse }),
    },
  };
}
