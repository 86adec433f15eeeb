/**
 * Every way a request can fail verification, as a stable code to branch on (never the message).
 * - missing_header: a header the scheme needs is absent
 * - bad_format: a header or the body cannot be parsed
 * - timestamp_out_of_tolerance: the signed timestamp is too old or too far in the future (replay guard)
 * - no_matching_signature: no signature in the request matches any of your keys
 * - bad_key: the secret or public key you configured cannot be used for this scheme
 */
export type VerificationErrorCode =
  | 'missing_header'
  | 'bad_format'
  | 'timestamp_out_of_tolerance'
  | 'no_matching_signature'
  | 'bad_key';

export class WebhookVerificationError extends Error {
  readonly code: VerificationErrorCode;

  constructor(code: VerificationErrorCode, message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
    this.code = code;
  }
}
