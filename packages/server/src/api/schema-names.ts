/**
 * The key that names a schema for /openapi.json: @fastify/swagger drops `$id` from inline
 * schemas but keeps `x-` keys, so a named schema carries its name here and the document's
 * last step (openapi.ts) moves it under components.schemas and leaves a $ref in its place.
 * Ajv ignores the key (its compilers run with strict: false).
 */
export const COMPONENT_KEY = 'x-component';
