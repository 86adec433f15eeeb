/**
 * Errors that stop Herald while it opens its store, before it serves anything. They are not
 * API errors (no HTTP status), so they live beside the store rather than in errors.ts; their
 * codes are documented in docs/errors.md ("Errors that stop Herald at start").
 */
export const STORE_START_ERROR_CODES = ['HERALD_DATA_DIR_LOCKED', 'HERALD_MIGRATION_CHANGED', 'HERALD_SCHEMA_TOO_NEW'] as const;
export type StoreStartErrorCode = (typeof STORE_START_ERROR_CODES)[number];

export class StoreStartError extends Error {
  readonly code: StoreStartErrorCode;

  constructor(code: StoreStartErrorCode, message: string) {
    super(message);
    this.name = 'StoreStartError';
    this.code = code;
  }
}
