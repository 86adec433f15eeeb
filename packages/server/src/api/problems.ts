import type { ErrorObject } from 'ajv';

/**
 * One problem of a refused request: where (a JSON pointer into the part named by
 * `details.part`, "/" for the whole part) and what. Every `details.problems` Herald answers
 * is a list of these (docs/errors.md), whether the schema, a policy check or an event
 * type's entity schema found it.
 */
export interface Problem {
  path: string;
  message: string;
}

/** What an ajv error means, with the name it is about (an unknown field, a missing one). */
export function toProblem(e: Pick<ErrorObject, 'instancePath' | 'message' | 'params' | 'keyword'>): Problem {
  const params = e.params as Record<string, unknown> | undefined;
  const named = params?.additionalProperty ?? params?.missingProperty;
  const message = e.message ?? 'invalid';
  return { path: e.instancePath || '/', message: typeof named === 'string' ? `${message}: ${named}` : message };
}

/** Problems found by a check that speaks in sentences about one field. */
export function problemsAt(path: string, messages: readonly string[]): Problem[] {
  return messages.map((message) => ({ path, message }));
}
