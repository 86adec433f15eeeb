import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { parseDateTime } from './date-time.js';

// Bodies are validated strictly: no coercion, unknown fields refused. Query strings and
// path parameters arrive as text, so they are coerced to the declared types.
const strict = new Ajv({ allErrors: true, coerceTypes: false, removeAdditional: false, useDefaults: false, strict: false });
const lenient = new Ajv({ allErrors: true, coerceTypes: true, removeAdditional: false, useDefaults: true, strict: false });
(addFormats as unknown as (ajv: Ajv) => void)(strict);
(addFormats as unknown as (ajv: Ajv) => void)(lenient);
// One reading of date-times for the schema and the code that uses the value (date-time.ts).
const dateTime = {
  type: 'string' as const,
  validate: (s: string) => parseDateTime(s) !== null,
  // formatMinimum / formatMaximum in event type schemas compare instants, as ajv-formats did.
  compare: (a: string, b: string) => Math.sign((parseDateTime(a) ?? NaN) - (parseDateTime(b) ?? NaN)) || 0,
};
for (const ajv of [strict, lenient]) ajv.addFormat('date-time', dateTime);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strict : lenient;
  return ajv.compile(schema as object) as ValidateFunction;
};

/** Validates a value against a schema outside a route (batch items, imported files). */
export function compileStrict(schema: object): ValidateFunction {
  return strict.compile(schema);
}
