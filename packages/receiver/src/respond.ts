import { WebhookVerificationError } from './errors.js';

/**
 * How the framework helpers answer a failed verification. A request that fails is rejected
 * with 401 and Herald retries it later; a key the receiver cannot use (`bad_key`) is the
 * receiver's own fault and is passed on as a server error instead, so it gets noticed.
 */
export function rejection(err: unknown): { status: number; body: { error: { code: string; message: string } } } | undefined {
  if (!(err instanceof WebhookVerificationError) || err.code === 'bad_key') return undefined;
  return { status: 401, body: { error: { code: err.code, message: err.message } } };
}

/** Thrown when a framework handed over a parsed object instead of the bytes that were signed. */
export class RawBodyRequiredError extends Error {
  readonly code = 'raw_body_required';

  constructor(framework: string, hint: string) {
    super(
      `${framework}: the request body was already parsed, so the signed bytes are gone and no signature can be checked. ${hint}`,
    );
    this.name = 'RawBodyRequiredError';
  }
}
