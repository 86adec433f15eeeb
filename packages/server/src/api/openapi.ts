import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { HeraldConfig } from '../config.js';
import { COMPONENT_KEY } from './schema-names.js';

/**
 * /openapi.json: OpenAPI 3.1 (its schemas are JSON Schema 2020-12, which TypeBox writes:
 * `type: 'null'`, numeric `exclusiveMinimum`). @fastify/swagger builds it from the route
 * schemas; `finishDocument` then names the shared schemas and adds the documented headers.
 * `npm run lint:openapi` lints it with Redocly's recommended rules; the conformance test
 * checks real answers against it.
 */

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const TAGS = [
  { name: 'orgs', description: 'Orgs (tenants) and their settings' },
  { name: 'apps', description: 'Apps inside an org; data events can be limited to one' },
  { name: 'event types', description: 'The event catalogue' },
  { name: 'webhooks', description: 'Webhooks, presets, test sends, trials and synchronous calls' },
  { name: 'keys', description: 'Signing keys of a webhook' },
  { name: 'events', description: 'Ingest and read events' },
  { name: 'deliveries', description: 'Delivery logs, retries, recovery and digests' },
  { name: 'api keys', description: 'API keys and their scopes' },
  { name: 'portal', description: 'Portal links and what the caller may do' },
];

const REQUEST_ID = 'x-request-id';

/** Header parameters and response headers, shared under components. */
const PARAMETERS = {
  RequestId: {
    name: REQUEST_ID, in: 'header', required: false, schema: { type: 'string', maxLength: 200 },
    description: 'An id of your choosing to correlate logs. Herald does not read or echo it yet: do not rely on getting it back.',
  },
  IdempotencyKey: {
    name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 200 },
    description: 'Makes the request safe to retry: the same key with the same event answers the first event again (with Idempotent-Replayed: true); '
      + 'the same key with another event is refused (HERALD_IDEMPOTENCY_CONFLICT). The body\'s idempotency_key, when sent, wins.',
  },
};
const HEADERS = {
  RequestId: { required: false, schema: { type: 'string' }, description: 'Reserved: Herald does not send it yet.' },
  IdempotentReplayed: {
    required: false, schema: { type: 'string', enum: ['true'] },
    description: 'Present when the Idempotency-Key (or idempotency_key) was seen before: the answer is the first event\'s.',
  },
};

/** Operations with headers of their own, by operationId and status. */
const OPERATION_HEADERS: Record<string, { parameters: string[]; responses: Record<string, string[]> }> = {
  ingestEvent: { parameters: ['IdempotencyKey'], responses: { '202': ['IdempotentReplayed'] } },
};

const HEADER_NAMES: Record<string, string> = { RequestId: REQUEST_ID, IdempotentReplayed: 'Idempotent-Replayed' };

/** Replaces every schema named with COMPONENT_KEY by a $ref, collecting it in `schemas`. */
function hoist(node: unknown, schemas: Json): unknown {
  if (Array.isArray(node)) return node.map((n) => hoist(n, schemas));
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) if (k !== COMPONENT_KEY) out[k] = hoist(v, schemas);
  const name = node[COMPONENT_KEY];
  if (typeof name !== 'string') return out;
  const seen = schemas[name];
  // Two different schemas under one name would make one of them lie.
  if (seen !== undefined && JSON.stringify(seen) !== JSON.stringify(out)) throw new Error(`OpenAPI: two different schemas are named ${name}`);
  schemas[name] = out;
  return { $ref: `#/components/schemas/${name}` };
}

function addHeaders(operation: Json): void {
  const own = OPERATION_HEADERS[String(operation.operationId)];
  const params = Array.isArray(operation.parameters) ? operation.parameters : [];
  operation.parameters = [...params, ...['RequestId', ...(own?.parameters ?? [])].map((p) => ({ $ref: `#/components/parameters/${p}` }))];
  const responses = isObject(operation.responses) ? operation.responses : {};
  for (const [status, response] of Object.entries(responses)) {
    if (!isObject(response)) continue;
    const names = ['RequestId', ...(own?.responses[status] ?? [])];
    response.headers = Object.fromEntries(names.map((h) => [HEADER_NAMES[h], { $ref: `#/components/headers/${h}` }]));
  }
}

/** The document's last step: named schemas under components, headers on each operation. */
export function finishDocument(doc: Json): Json {
  const components = isObject(doc.components) ? doc.components : {};
  const schemas: Json = isObject(components.schemas) ? { ...components.schemas } : {};
  const paths = hoist(doc.paths, schemas);
  if (isObject(paths)) {
    for (const item of Object.values(paths)) {
      if (!isObject(item)) continue;
      for (const operation of Object.values(item)) if (isObject(operation)) addHeaders(operation);
    }
  }
  const sorted = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
  return { ...doc, paths, components: { ...components, schemas: sorted, parameters: PARAMETERS, headers: HEADERS } };
}

export function openApiOptions(config: Pick<HeraldConfig, 'publicUrl'>): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Herald API',
        version: '1',
        description: 'Webhook delivery: orgs, event types, webhooks, events, deliveries. Errors are `{error: {code, message, details?}}` (docs/errors.md).',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [{ url: (config.publicUrl ?? '/').replace(/(.)\/+$/, '$1'), description: 'this Herald' }],
      tags: TAGS,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API key (hk_…) or a portal token (hpt_…)' } } },
    },
    transformObject: (doc) => ('openapiObject' in doc ? finishDocument({ ...doc.openapiObject }) : doc.swaggerObject),
  };
}
