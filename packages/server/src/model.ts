/**
 * Glossary (see docs/ for the user-facing pages)
 * - org: a tenant. Slug id, name, owner email, settings (quotas…).
 * - app: a sub-scope of an org; data events carry an app_id and reach webhooks scoped to it.
 * - event type: `module.action` name; kind `admin` (org-wide) or `data` (needs an app_id).
 * - webhook: URL (or a broker destination) + subscribed event types + scope + signing + delivery policy + state.
 * - key: signing material of one webhook (at most 2; the oldest is "in use").
 * - event: one ingested occurrence; durable before the ingest call answers 202.
 * - delivery: one event × one webhook; keeps one id (sent as `webhook-id`) across retries.
 * - attempt: one try of a delivery (an HTTP POST, or a publish to a broker destination),
 *   recorded with request and response.
 * - lease: a worker's claim on a delivery, fenced by a per-claim token.
 * - digest: one delivery of a synthetic `herald.digest` event that carries a period's events
 *   of a digest webhook; its members are `batched` deliveries pointing at it by digest_id.
 */
import type { DestinationSecrets, DestinationSettings } from './destinations/types.js';
import type { SignatureScheme } from './signing/index.js';

export type WebhookState = 'draft' | 'enabled' | 'disabled' | 'deactivated';
/**
 * `batched`: an event of a digest webhook, waiting for its period (digest_id null) or carried
 * by the digest delivery named in digest_id, whose status is the one that matters.
 */
export type DeliveryStatus = 'pending' | 'batched' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
export type EventKind = 'admin' | 'data';
export type PayloadMode = 'envelope' | 'raw';

export interface Org {
  id: string;
  name: string;
  owner_email: string;
  settings: OrgSettings;
  created_at: number;
  updated_at: number;
}

/** Per-org settings; every field is optional and absent means the default named here. */
export interface OrgSettings {
  /** Most webhooks the org may hold (unlimited when absent). */
  max_webhooks?: number;
  /** Which webhooks count toward max_webhooks: all (default) or only those of the salesiq preset (seed 002). */
  max_webhooks_counts?: 'all' | 'salesiq';
  /** Seed 000's URL rules, off unless set: refuse plain http, refuse an explicit port. */
  url_rules?: { https_only?: boolean; forbid_explicit_port?: boolean };
  /** Check a URL is reachable when a webhook is saved (seed 000); default true. */
  validate_urls?: boolean;
  /** Days attempts and delivery logs are kept before the purge job removes them; default 60. */
  retention_days?: number;
  /** Alert mail: `preset` (default) sends what the webhook's preset says; `off` sends none. */
  alert_mail?: 'preset' | 'off';
}

export interface App {
  id: string;
  org_id: string;
  name: string;
  created_at: number;
}

export interface EventType {
  name: string;
  kind: EventKind;
  description: string;
  schema: unknown;
  example: unknown;
  deprecated: boolean;
  created_at: number;
  updated_at: number;
}

/** Which response counts as delivered. */
export interface SuccessRule {
  /** Accepted status codes; '2xx' means 200–299. */
  status: (number | '2xx')[];
  /** When set, the response body must equal one of these byte for byte. */
  bodies?: string[];
}

/** Delivery policy, fully resolved (preset + the webhook's overrides). Durations in ms. */
export interface DeliveryPolicy {
  timeout_ms: number;
  /** Delays after each failed attempt; its length is the number of retries. */
  retry_schedule_ms: number[];
  /** Random spread applied to each delay, as a fraction (0.2 = ±20 %). */
  retry_jitter: number;
  success: SuccessRule;
  /** What a 410 Gone does: deactivate the webhook at once, or count as a plain failure. */
  on_410: 'deactivate' | 'retry';
  /** Most requests started per second (per worker process); absent or null: no limit. */
  rate_limit?: number | null;
  /** Most requests in flight at once (per worker process); absent or null: no cap. */
  max_in_flight?: number | null;
  /** `fifo`: one delivery at a time, in creation order, across every process; default `any`. */
  ordering?: 'any' | 'fifo';
}

export interface SignatureConfig {
  scheme: SignatureScheme;
  /** Signature header name, for schemes that allow another. */
  header?: string;
  /** false: requests carry no signature (seed 001's `secured: false`). Default true. */
  secured?: boolean;
}

/** Type of the synthetic event a digest delivery carries; `herald.` names are refused at ingest. */
export const DIGEST_EVENT_TYPE = 'herald.digest';

/**
 * How a webhook receives its events: one request per event, or a digest of a period's events
 * in one request. Periods: `every` (a duration, counted from the webhook's creation), or daily
 * at `at` (HH:MM) in `timezone` (IANA, default UTC). The API also names `cron`, refused for now.
 */
export type DeliveryMode = { mode: 'immediate' } | { mode: 'digest'; every?: string; at?: string; timezone?: string; cron?: string };

export interface WebhookStats {
  last_triggered_at: number | null;
  last_success_at: number | null;
  last_failure_at: number | null;
  consecutive_failures: number;
  failures_total: number;
  successes_total: number;
}

export interface Webhook extends WebhookStats {
  id: string;
  org_id: string;
  url: string;
  description: string;
  events: string[];
  /** Apps whose data events it receives; null: every event of its types in the org. */
  apps: string[] | null;
  state: WebhookState;
  state_reason: string | null;
  preset: string;
  signature: SignatureConfig;
  /** The webhook's own overrides of its preset's policy (API shape). */
  policy: Record<string, unknown>;
  filter: string | null;
  payload_mode: PayloadMode;
  delivery: DeliveryMode;
  /** End of the current digest period; for an immediate webhook, a pending sweep of stragglers. */
  next_digest_at: number | null;
  alert_emails: string[];
  metadata: Record<string, string>;
  /** Mutual TLS (seed 004): the client certificate sent on every attempt; absent or null: none. */
  client_certificate?: StoredClientCertificate | null;
  /** Where deliveries go when not an HTTP POST to `url` (a broker); absent or null: HTTP. */
  destination?: StoredDestination | null;
  created_by: string | null;
  modified_by: string | null;
  revision: number;
  created_at: number;
  updated_at: number;
}

/** A webhook's client certificate at rest: the upload sealed (webhook id as associated data), and what may be shown. */
export interface StoredClientCertificate {
  sealed: string;
  info: { subject: string; issuer: string; not_after: number; fingerprint_sha256: string };
}

/** A webhook's broker destination at rest: settings safe to show, credentials sealed (destinations/secrets.ts). */
export interface StoredDestination {
  settings: DestinationSettings;
  /** Which secret fields are in `sealed` (shown by the API; the values never are). */
  secrets_set: (keyof DestinationSecrets)[];
  /** Null: the destination has no credentials. */
  sealed: string | null;
}

export interface WebhookKey {
  id: string;
  webhook_id: string;
  sealed: string;
  public_view: Record<string, string>;
  created_at: number;
}

export interface StoredEvent {
  id: string;
  org_id: string;
  app_id: string | null;
  type: string;
  entity_type: string | null;
  entity_id: string | null;
  /** Compact JSON text of the entity, exactly as it will be sent. */
  entity: string;
  modified_fields: string[];
  event_time: number;
  idempotency_key: string | null;
  delivery_count: number;
  created_at: number;
}

export interface Delivery {
  id: string;
  org_id: string;
  webhook_id: string;
  event_id: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number | null;
  is_test: boolean;
  created_at: number;
  updated_at: number;
  last_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  /** For a `batched` member handed to a digest: the digest delivery's id. */
  digest_id: string | null;
  /** That digest delivery's status (read, not stored). */
  digest_status: DeliveryStatus | null;
  /** The type of the event delivered (read with the delivery; null if its event was purged). */
  event_type?: string | null;
}

/** Why an attempt failed, by class (undici and HTTP outcomes mapped to stable codes). */
/** Why an attempt failed (docs/deliveries.md, docs/destinations.md). */
export const ATTEMPT_ERROR_CODES = [
  'timeout', 'connect_refused', 'connection_reset', 'dns', 'tls', 'blocked_address', 'status', 'redirect', 'body_mismatch',
  // Broker destinations; `timeout` and `blocked_address` serve them too.
  'broker_unreachable', 'broker_auth', 'broker_nack', 'unroutable', 'destination_config', 'broker_error',
  'error',
] as const;
export type AttemptErrorCode = (typeof ATTEMPT_ERROR_CODES)[number];

export interface Attempt {
  id: string;
  delivery_id: string;
  webhook_id: string;
  org_id: string;
  attempt: number;
  started_at: number;
  duration_ms: number;
  outcome: 'success' | 'failure';
  status_code: number | null;
  error_code: AttemptErrorCode | null;
  error_message: string | null;
  request_headers: Record<string, string>;
  response_headers: Record<string, string> | null;
  response_body: string | null;
  response_truncated: boolean;
  is_test: boolean;
}

export const API_SCOPES = [
  'orgs:read',
  'orgs:write',
  'apps:read',
  'apps:write',
  'event_types:read',
  'event_types:write',
  'webhooks:read',
  'webhooks:write',
  'webhooks:delete',
  'keys:read',
  'keys:write',
  'events:write',
  'events:read',
  'deliveries:read',
  'deliveries:write',
  'api_keys:read',
  'api_keys:write',
  'portal_links:write',
] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export interface ApiKey {
  id: string;
  name: string;
  scopes: ApiScope[];
  /** null: a key over every org. */
  org_id: string | null;
  /** The person behind the key: alert mail about webhooks it created or changed reaches them. */
  email: string | null;
  created_at: number;
  revoked_at: number | null;
}
