import { WebhookVerificationError } from './errors.js';

/** A Fetch `Headers`, or the plain object Node, Express and Fastify give (values may repeat as arrays). */
export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function isHeaders(source: HeaderSource): source is Headers {
  return typeof (source as Headers).get === 'function';
}

/** Case-insensitive lookup; repeated headers are joined with ", " as the Fetch standard does. */
export function readHeader(source: HeaderSource, name: string): string | undefined {
  if (isHeaders(source)) return source.get(name) ?? undefined;
  const lower = name.toLowerCase();
  let value = source[lower];
  if (value === undefined) {
    for (const key of Object.keys(source)) {
      if (key.toLowerCase() === lower) {
        value = source[key];
        break;
      }
    }
  }
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.join(', ');
  return value;
}

export function requireHeader(source: HeaderSource, name: string, ...fallbacks: string[]): string {
  for (const candidate of [name, ...fallbacks]) {
    const value = readHeader(source, candidate)?.trim();
    if (value !== undefined && value !== '') return value;
  }
  throw new WebhookVerificationError('missing_header', `The request has no ${name} header`);
}
