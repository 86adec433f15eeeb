import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { HeraldConfig } from '../config.js';
import { COMPONENT_KEY } from './schema-names.js';
import { IF_MATCH_OPERATIONS, TAGGED_ANSWERS } from './etag.js';
import { IDEMPOTENT_OPERATIONS, MAX_IDEMPOTENCY_KEY_LENGTH } from './idempotency.js';
import { MAX_REQUEST_ID_LENGTH, REQUEST_ID_HEADER } from './request-id.js';

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

/** Header parameters and response headers, shared under components (docs/api.md). */
const PARAMETERS = {
  RequestId: {
    name: REQUEST_ID_HEADER, in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: MAX_REQUEST_ID_LENGTH },
    description: 'An id of your choosing (1 to 200 printable ASCII characters) to correlate logs: echoed on the answer and written in every log line of the request. '
      + 'Without one (or with an unusable one) Herald makes one up.',
  },
  IdempotencyKey: {
    name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH },
    description: 'Makes the request safe to retry: the same key with the same request within 24 hours answers the first answer again (with Idempotent-Replayed: true); '
      + 'with another request it is refused (409 HERALD_IDEMPOTENCY_CONFLICT). Visible ASCII, at most 200 characters. On ingestEvent the body\'s idempotency_key, when sent, wins.',
  },
  IfMatch: {
    name: 'If-Match', in: 'header', required: false, schema: { type: 'string', maxLength: 1000 },
    description: 'The ETag you read: the change is made only if the resource still has it (else 412 HERALD_PRECONDITION_FAILED). `*` matches any existing resource.',
  },
};
const HEADERS = {
  RequestId: { required: true, schema: { type: 'string' }, description: 'The request\'s id: the x-request-id sent, or one Herald made up.' },
  IdempotentReplayed: {
    required: false, schema: { type: 'string', enum: ['true'] },
    description: 'Present when the Idempotency-Key was seen before: the answer is the first request\'s.',
  },
  ETag: {
    required: true, schema: { type: 'string' },
    description: 'The resource\'s version: send it back as If-Match to change or delete it only if nobody else did since.',
  },
};

const HEADER_NAMES: Record<keyof typeof HEADERS, string> = { RequestId: REQUEST_ID_HEADER, IdempotentReplayed: 'Idempotent-Replayed', ETag: 'ETag' };

/** The header parameters of one operation, and the headers of its success answers. */
function operationHeaders(operationId: string): { parameters: (keyof typeof PARAMETERS)[]; success: (keyof typeof HEADERS)[] } {
  const idempotent = operationId === 'ingestEvent' || IDEMPOTENT_OPERATIONS.has(operationId);
  return {
    parameters: [
      'RequestId',
      ...(idempotent ? ['IdempotencyKey' as const] : []),
      ...(IF_MATCH_OPERATIONS[operationId] !== undefined ? ['IfMatch' as const] : []),
    ],
    success: [...(idempotent ? ['IdempotentReplayed' as const] : []), ...(TAGGED_ANSWERS[operationId] !== undefined ? ['ETag' as const] : [])],
  };
}

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
  const own = operationHeaders(String(operation.operationId));
  const params = Array.isArray(operation.parameters) ? operation.parameters : [];
  operation.parameters = [...params, ...own.parameters.map((p) => ({ $ref: `#/components/parameters/${p}` }))];
  const responses = isObject(operation.responses) ? operation.responses : {};
  for (const [status, response] of Object.entries(responses)) {
    if (!isObject(response)) continue;
    const names: (keyof typeof HEADERS)[] = ['RequestId', ...(status.startsWith('2') ? own.success : [])];
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
