import type { FastifyRequest } from 'fastify';
import { HeraldError } from '../errors.js';

function holdsNul(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (Array.isArray(v)) return v.some(holdsNul);
  return false;
}

/**
 * Refuses a NUL character (`%00`) in the path parameters or the query string before anything
 * reads them: PostgreSQL's text cannot hold one, so a lookup by such an id failed with 500
 * there while SQLite answered 404. Headers cannot carry one (Node's parser refuses it) and
 * bodies are checked by the JSON parser (json-body.ts).
 */
export async function refuseNulCharacters(req: FastifyRequest): Promise<void> {
  // `part` names the request part as validation errors do (details.part).
  for (const [part, label, values] of [['params', 'path parameter', req.params], ['querystring', 'query parameter', req.query]] as const) {
    if (values === null || typeof values !== 'object') continue;
    for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
      if (holdsNul(name) || holdsNul(value)) throw new HeraldError('HERALD_NUL_CHARACTER', [`${label} ${name}`], { part, name });
    }
  }
}
