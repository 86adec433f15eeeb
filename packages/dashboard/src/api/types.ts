/**
 * The shapes the public API answers (packages/server/src/api/views.ts and the route files).
 * Times are ISO 8601 strings. Only the fields the dashboard reads are typed.
 */

export type WebhookState = 'draft' | 'enabled' | 'disabled' | 'deactivated';
export type DeliveryStatus = 'pending' | 'batched' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
export type PresetName = 'standard' | 'salesiq' | 'smarterbot' | 'dialog-insight';
export type PortalAccess = 'read' | 'manage';

export interface Page<T> {
  data: T[];
  next_cursor?: string | null;
}

export interface WhoAmI {
  kind: 'api_key' | 'portal';
  key_id: string;
  org_id: string | null;
  app_id: string | null;
  access: PortalAccess | null;
  scopes: string[];
  expires_at: string | null;
}

export interface UrlRules {
  https_only?: boolean;
  forbid_explicit_port?: boolean;
}

export interface Org {
  id: string;
  name: string;
  owner_email: string;
  settings: { url_rules?: UrlRules; max_webhooks?: number; [k: string]: unknown };
  created_at: string;
}

export interface App {
  id: string;
  org_id: string;
  name: string;
}

export interface EventType {
  name: string;
  kind: 'admin' | 'data';
  description: string;
  example: unknown;
  deprecated: boolean;
}

export interface SuccessRule {
  status: (number | '2xx')[];
  bodies?: string[];
}

export interface Policy {
  timeout_ms: number;
  retry_schedule: string[];
  retry_jitter: number;
  success: SuccessRule;
  on_410: 'deactivate' | 'retry';
  rate_limit?: number | null;
  max_in_flight?: number | null;
  ordering?: 'any' | 'fifo';
}

/**
 * The policy fields a webhook sets over its preset (the server's PolicyInput schema). The
 * server may know fields this app does not: forms keep those as they are (see advanced.ts).
 */
export interface PolicyOverrides {
  timeout_ms?: number;
  retry_schedule?: string[];
  retry_jitter?: number;
  success?: { status?: (number | '2xx')[]; bodies?: string[] | null };
  on_410?: 'deactivate' | 'retry';
  rate_limit?: number | null;
  max_in_flight?: number | null;
  ordering?: 'any' | 'fifo';
  [other: string]: unknown;
}

export interface Preset {
  name: PresetName;
  description: string;
  signature: { scheme: string; header?: string };
  policy: Policy;
  payload: 'envelope' | 'raw';
  sources: { seed: string; sentence: string; setting: string }[];
}

export interface Webhook {
  id: string;
  org_id: string;
  url: string;
  description: string;
  events: string[];
  apps: string[] | null;
  state: WebhookState;
  state_reason: string | null;
  published: boolean;
  preset: PresetName;
  secured: boolean;
  signature: { scheme: string; header?: string };
  policy: Policy;
  policy_overrides: PolicyOverrides;
  payload: 'envelope' | 'raw';
  filter: string | null;
  alert_emails: string[];
  failures: number;
  consecutive_failures: number;
  last_triggered_at: string | null;
  last_success_at: string | null;
  last_failure_at: string | null;
  created_by: string | null;
  modified_by: string | null;
  created_at: string;
  updated_at: string;
  failures_24h?: number;
  attempts_24h?: number;
  success_rate_24h?: number | null;
}

/** A signing key as answered: secrets only once, at creation. */
export interface WebhookKey {
  id: string;
  created_at: string;
  in_use: boolean;
  secret?: string;
  public_key?: string;
  public_key_xml?: string;
}

export interface CreatedWebhook extends Webhook {
  key: WebhookKey;
}

export interface WebhookInput {
  url?: string;
  description?: string;
  events?: string[];
  apps?: string[] | null;
  preset?: PresetName;
  secured?: boolean;
  published?: boolean;
  policy?: PolicyOverrides | null;
  payload?: 'envelope' | 'raw';
  filter?: string | null;
  alert_emails?: string[];
  state?: 'enabled' | 'disabled';
}

export interface StatsBucket {
  t: string;
  succeeded: number;
  failed: number;
  p50_ms: number | null;
  p99_ms: number | null;
}

export interface WebhookStats {
  from: string;
  to: string;
  bucket_seconds: number;
  buckets: StatsBucket[];
  totals: { attempts: number; succeeded: number; failed: number; success_rate: number | null; p50_ms: number | null; p99_ms: number | null };
}

export interface Delivery {
  id: string;
  org_id: string;
  webhook_id: string;
  event_id: string;
  /** Not in every server version's delivery view: shown when answered. */
  event_type?: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  is_test: boolean;
  last_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface StoredEvent {
  id: string;
  org_id: string;
  app_id: string | null;
  event: string;
  entity_type: string | null;
  entity_id: string | null;
  entity: unknown;
  modified_fields: string[];
  event_time: number;
}

export interface Attempt {
  id: string;
  attempt: number;
  started_at: string;
  duration_ms: number;
  outcome: 'success' | 'failure';
  status_code: number | null;
  error_code: string | null;
  error_message: string | null;
  request_headers: Record<string, string>;
  response_headers: Record<string, string> | null;
  response_body: string | null;
  response_truncated: boolean;
  is_test: boolean;
}

export interface DeliveryDetail extends Delivery {
  event: StoredEvent | null;
  attempt_list: Attempt[];
}

export interface DeliveryFilters {
  status?: DeliveryStatus | '';
  event_type?: string;
  since?: string;
  until?: string;
  before?: string;
  limit?: number;
}

/** What test, trial and call answer: the whole exchange. */
export interface DirectResult {
  succeeded: boolean;
  logged: boolean;
  delivery_id: string | null;
  event_id: string | null;
  request: { url: string; method: string; headers: Record<string, string>; body: string };
  response: { status: number; headers: Record<string, string>; body: string | null; truncated: boolean } | null;
  error: { code: string | null; message: string | null } | null;
  duration_ms: number;
}

export interface RecoverResult {
  recovered: number;
  batches: number;
  webhook_state: WebhookState;
}

export interface PortalLink {
  url: string;
  token: string;
  org_id: string;
  app_id: string | null;
  access: PortalAccess;
  expires_at: string;
}

export interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  org_id: string | null;
  created_at: string;
}
