/**
 * The one registry of Herald's error codes. Every error an API caller can see has a stable
 * code here, an HTTP status and a message template; docs/errors.md is checked against this
 * table by a test, so code and docs cannot drift.
 */
export const ERRORS = {
  HERALD_BAD_REQUEST: { status: 400, message: 'The request is not valid: %s' },
  HERALD_VALIDATION_FAILED: { status: 400, message: 'The request body, query or path does not match the schema' },
  HERALD_INVALID_JSON: { status: 400, message: 'The request body is not valid JSON' },
  HERALD_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send JSON with Content-Type: application/json' },
  HERALD_BODY_TOO_LARGE: { status: 413, message: 'The request body is larger than the limit of %s bytes' },
  HERALD_JSON_TOO_DEEP: { status: 400, message: 'The JSON body nests deeper than %s levels' },
  HERALD_NUL_CHARACTER: { status: 400, message: 'The request holds a NUL character (U+0000) in %s: Herald stores no NUL' },
  HERALD_PATH_MALFORMED: { status: 400, message: 'The request path is not valid percent-encoding: %s' },
  HERALD_PATH_TOO_LONG: { status: 414, message: 'A path segment is longer than %s characters' },
  HERALD_HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are larger than the server accepts' },
  HERALD_HTTP_MALFORMED: { status: 400, message: 'The HTTP request cannot be parsed: %s' },
  HERALD_REQUEST_TIMEOUT: { status: 408, message: 'The request was not received in time' },
  HERALD_SHUTTING_DOWN: { status: 503, message: 'The server is shutting down: retry on another instance or in a moment' },
  HERALD_UNAUTHORIZED: { status: 401, message: 'Missing or unknown API key: send Authorization: Bearer <key>' },
  HERALD_FORBIDDEN_SCOPE: { status: 403, message: 'This API key lacks the scope %s' },
  HERALD_PORTAL_LINK_INVALID: { status: 401, message: 'This portal link has expired or is not genuine: ask for a new one' },
  HERALD_PORTAL_APP_ONLY: { status: 403, message: 'This portal link is limited to app %s: %s' },
  HERALD_NOT_FOUND: { status: 404, message: 'No route %s %s' },
  HERALD_ORG_NOT_FOUND: { status: 404, message: 'Org %s not found' },
  HERALD_ORG_EXISTS: { status: 409, message: 'Org %s already exists' },
  HERALD_APP_NOT_FOUND: { status: 404, message: 'App %s not found in this org' },
  HERALD_APP_EXISTS: { status: 409, message: 'App %s already exists in this org' },
  HERALD_EVENT_TYPE_NOT_FOUND: { status: 404, message: 'Event type %s not found' },
  HERALD_EVENT_TYPE_EXISTS: { status: 409, message: 'Event type %s already exists' },
  HERALD_SCHEMA_UNSAFE: { status: 422, message: 'The event type schema could make validation slow: %s' },
  HERALD_CATALOGUE_NOT_FOUND: { status: 404, message: 'Herald ships no catalogue named %s (shipped: %s)' },
  HERALD_CATALOGUE_INVALID: { status: 422, message: 'The event types cannot be imported: %s' },
  HERALD_EVENT_NOT_FOUND: { status: 404, message: 'Event %s not found' },
  HERALD_EVENT_NEEDS_APP: { status: 422, message: 'Event type %s is a data event: send app_id' },
  HERALD_WEBHOOK_NOT_FOUND: { status: 404, message: 'Webhook %s not found' },
  HERALD_WEBHOOK_QUOTA: { status: 422, message: 'This org allows at most %s webhooks' },
  HERALD_FILTER_INVALID: { status: 422, message: 'The rule is not valid at position %s: %s' },
  HERALD_SIGNATURE_INVALID: { status: 422, message: 'The signature settings are not usable: %s' },
  HERALD_URL_INVALID: { status: 422, message: 'The webhook URL is not acceptable: %s' },
  HERALD_DELIVERY_INVALID: { status: 422, message: 'The delivery mode is not usable: %s' },
  HERALD_DESTINATION_INVALID: { status: 422, message: 'The destination settings are not usable: %s' },
  HERALD_WEBHOOK_NOT_DIGEST: { status: 409, message: 'Webhook %s delivers immediately: it has no digest to send' },
  HERALD_WEBHOOK_NOT_POLL: { status: 409, message: 'Webhook %s is not a poll webhook: Herald sends its deliveries, nothing is pulled' },
  HERALD_WEBHOOK_IS_POLL: { status: 409, message: 'Webhook %s is a poll webhook: %s' },
  HERALD_KEY_NOT_FOUND: { status: 404, message: 'Key %s not found on this webhook' },
  HERALD_KEY_LIMIT: { status: 422, message: 'A webhook holds at most %s keys: delete one before adding another' },
  HERALD_KEY_LAST: { status: 422, message: 'The last key of a webhook cannot be deleted: add a new key first' },
  HERALD_DELIVERY_NOT_FOUND: { status: 404, message: 'Delivery %s not found' },
  HERALD_DELIVERY_IN_PROGRESS: { status: 409, message: 'Delivery %s is being attempted right now: retry after it completes' },
  HERALD_IDEMPOTENCY_CONFLICT: { status: 409, message: 'Idempotency key %s was used before with a different body' },
  HERALD_IDEMPOTENCY_IN_PROGRESS: { status: 409, message: 'A request with idempotency key %s is still running: retry when it has answered' },
  HERALD_PRECONDITION_FAILED: { status: 412, message: 'The resource changed since you read it (If-Match does not match its ETag): read it again' },
  HERALD_API_KEY_NOT_FOUND: { status: 404, message: 'API key %s not found' },
  HERALD_SCOPE_ESCALATION: { status: 403, message: 'An API key cannot grant scopes or orgs it does not have itself' },
  HERALD_URL_NOT_ALLOWED: { status: 422, message: "The org's URL rules refuse this URL: %s" },
  HERALD_URL_UNREACHABLE: { status: 422, message: 'The webhook URL did not pass validation: %s' },
  HERALD_CLIENT_CERT_INVALID: { status: 422, message: 'The client certificate cannot be read: %s' },
  HERALD_CLIENT_CERT_UNSUPPORTED: { status: 422, message: 'The client certificate file is in a format Herald cannot use: %s' },
  HERALD_CLIENT_CERT_PASSPHRASE: { status: 422, message: 'The client certificate does not open: %s' },
  HERALD_CLIENT_CERT_MISMATCH: { status: 422, message: 'The client certificate and key do not match: %s' },
  HERALD_CLIENT_CERT_EXPIRED: { status: 422, message: 'The client certificate is not valid now: %s' },
  HERALD_INTERNAL: { status: 500, message: 'Internal error in request %s: look for this id (reqId) in the server log' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class HeraldError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, args: readonly (string | number)[] = [], details?: unknown) {
    let i = 0;
    super(ERRORS[code].message.replace(/%s/g, () => String(args[i++] ?? '')));
    this.name = 'HeraldError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }

  toJSON(): { error: { code: string; message: string; details?: unknown } } {
    const error: { code: string; message: string; details?: unknown } = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}
