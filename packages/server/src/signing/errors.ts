/**
 * Signing errors carry a stable code so callers (the API, the delivery engine, tests) branch on
 * the code and never on the message text.
 */
export const SIGNING_ERROR_CODES = [
  'HERALD_SIGNING_UNKNOWN_SCHEME',
  'HERALD_SIGNING_NO_KEYS',
  'HERALD_SIGNING_TOO_MANY_KEYS',
  'HERALD_SIGNING_KEY_MISMATCH',
  'HERALD_SIGNING_BAD_KEY',
  'HERALD_SIGNING_BAD_HEADER_NAME',
  'HERALD_SIGNING_HEADER_FIXED',
  'HERALD_SIGNING_BAD_INPUT',
] as const;

export type SigningErrorCode = (typeof SIGNING_ERROR_CODES)[number];

export class SigningError extends Error {
  readonly code: SigningErrorCode;

  constructor(code: SigningErrorCode, message: string) {
    super(message);
    this.name = 'SigningError';
    this.code = code;
  }
}
