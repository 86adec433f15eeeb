import { Type, type TProperties, type TSchema } from '@sinclair/typebox';
import { DestinationViewSchema } from '../destinations/view.js';
import { API_SCOPES, ATTEMPT_ERROR_CODES } from '../model.js';
import { PRESET_NAMES } from '../policy/presets.js';
import { SIGNATURE_SCHEMES } from '../signing/index.js';
import { COMPONENT_KEY } from './schema-names.js';

/**
 * What the API answers, one schema per representation in views.ts. Objects are closed
 * (additionalProperties: false) so the conformance test catches a field added to a view
 * without being documented here. Each is named: /openapi.json lists it under components.schemas.
 */
const model = <T extends TProperties>(name: string, description: string, props: T) =>
  Type.Object(props, { additionalProperties: false, description, [COMPONENT_KEY]: name });
const closed = <T extends TProperties>(props: T) => Type.Object(props, { additionalProperties: false });
const nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

const Time = Type.String({ format: 'date-time' });
const Cursor = nullable(Type.String({ description: 'pass as `cursor` for the next page; null on the last page (never a cursor to an empty page)' }));
const Count = Type.Integer({ minimum: 0 });
const StringMap = Type.Record(Type.String(), Type.String());

export const ErrorResponse = model('Error', 'An error: a stable code (docs/errors.md), a message for people, and details for some codes', {
  error: closed({
    code: Type.String({ description: 'stable, e.g. HERALD_WEBHOOK_NOT_FOUND' }),
    message: Type.String(),
    details: Type.Optional(Type.Unknown()),
  }),
});

const OrgSettings = closed({
  max_webhooks: Type.Optional(Type.Integer()),
  max_webhooks_counts: Type.Optional(literals(['all', 'salesiq'])),
  url_rules: Type.Optional(closed({ https_only: Type.Optional(Type.Boolean()), forbid_explicit_port: Type.Optional(Type.Boolean()) })),
  validate_urls: Type.Optional(Type.Boolean()),
  retention_days: Type.Optional(Type.Integer()),
  alert_mail: Type.Optional(literals(['preset', 'off'])),
});
export const Org = model('Org', 'An org (tenant)', {
  id: Type.String(), name: Type.String(), owner_email: Type.String(), settings: OrgSettings, created_at: Time, updated_at: Time,
});
export const OrgList = model('OrgList', 'A page of orgs', { data: Type.Array(Org), next_cursor: Cursor });
export const App = model('App', 'An app of an org', { id: Type.String(), org_id: Type.String(), name: Type.String(), created_at: Time });
export const AppList = model('AppList', 'A page of the apps of an org', { data: Type.Array(App), next_cursor: Cursor });

export const EventType = model('EventType', 'An event type of the catalogue', {
  name: Type.String(), kind: literals(['admin', 'data']), description: Type.String(),
  schema: Type.Unknown({ description: 'JSON Schema of the entity, or null' }), example: Type.Unknown(), deprecated: Type.Boolean(),
  created_at: Time, updated_at: Time,
});
export const EventTypeList = model('EventTypeList', 'A page of the event catalogue, by name', { data: Type.Array(EventType), next_cursor: Cursor });
export const EventTypeImport = model('EventTypeImportResult', 'The names of the imported types, by what happened to each', {
  catalogue: nullable(Type.String()),
  created: Type.Array(Type.String()), updated: Type.Array(Type.String()),
  unchanged: Type.Array(Type.String()), skipped: Type.Array(Type.String()),
});
export const Envelope = Type.Object({}, {
  additionalProperties: true, description: 'The body a receiver gets (envelope or raw payload, docs/events.md)', [COMPONENT_KEY]: 'Envelope',
});

const Policy = model('Policy', 'A delivery policy as it applies: the preset with the webhook\'s overrides', {
  timeout_ms: Type.Integer(),
  retry_schedule: Type.Array(Type.String()),
  retry_jitter: Type.Number(),
  success: closed({ status: Type.Array(Type.Union([Type.Integer(), Type.Literal('2xx')])), bodies: Type.Optional(Type.Array(Type.String())) }),
  on_410: literals(['deactivate', 'retry']),
  rate_limit: nullable(Type.Number()),
  max_in_flight: nullable(Type.Integer()),
  ordering: literals(['any', 'fifo']),
});
const DeliveryMode = Type.Union([
  closed({ mode: Type.Literal('immediate') }),
  closed({
    mode: Type.Literal('digest'), every: Type.Optional(Type.String()), at: Type.Optional(Type.String()),
    timezone: Type.Optional(Type.String()), cron: Type.Optional(Type.String()),
  }),
], { description: 'one request per event, or a digest per period', [COMPONENT_KEY]: 'DeliveryMode' });
const WebhookState = literals(['draft', 'enabled', 'disabled', 'deactivated']);

const webhookProps = {
  id: Type.String(), org_id: Type.String(), url: Type.String(), description: Type.String(),
  events: Type.Array(Type.String()), apps: nullable(Type.Array(Type.String())),
  state: WebhookState, state_reason: nullable(Type.String()), published: Type.Boolean(),
  preset: Type.String(), secured: Type.Boolean(),
  signature: closed({ scheme: literals(SIGNATURE_SCHEMES), header: Type.Optional(Type.String()) }),
  policy: Policy,
  policy_overrides: Type.Record(Type.String(), Type.Unknown(), { description: "the webhook's own policy fields" }),
  payload: literals(['envelope', 'raw']), filter: nullable(Type.String()),
  alert_emails: Type.Array(Type.String()), metadata: StringMap,
  client_certificate: nullable(closed({ subject: Type.String(), issuer: Type.String(), not_after: Time, fingerprint_sha256: Type.String() })),
  destination: DestinationViewSchema,
  delivery: DeliveryMode, next_digest_at: nullable(Time),
  failures: Count, consecutive_failures: Count, successes: Count,
  last_triggered_at: nullable(Time), last_success_at: nullable(Time), last_failure_at: nullable(Time),
  created_by: nullable(Type.String()), modified_by: nullable(Type.String()), created_at: Time, updated_at: Time,
};
const recentProps = { attempts_24h: Count, failures_24h: Count, success_rate_24h: nullable(Type.Number({ minimum: 0, maximum: 1 })) };

export const WebhookWithRecent = model('WebhookWithRecent', 'A webhook with its last 24 hours of attempts', { ...webhookProps, ...recentProps });
export const WebhookList = model('WebhookList', 'A page of webhooks', { data: Type.Array(WebhookWithRecent), next_cursor: Cursor });
export const WebhookKey = model('WebhookKey', 'A signing key: its public part, and its secret only when just made', {
  id: Type.String(), created_at: Time, in_use: Type.Boolean(),
  secret: Type.Optional(Type.String()), public_key: Type.Optional(Type.String()), public_key_xml: Type.Optional(Type.String()),
});
export const WebhookKeyList = model('WebhookKeyList', "A page of a webhook's keys, oldest first", { data: Type.Array(WebhookKey), next_cursor: Cursor });
export const WebhookCreated = model('WebhookCreated', 'A new webhook with its first key (the secret is shown only here)', { ...webhookProps, key: WebhookKey });
const Latency = nullable(Type.Integer());
export const WebhookStats = model('WebhookStats', 'Attempts per minute by outcome, and latency percentiles', {
  from: Time, to: Time, bucket_seconds: Type.Integer(),
  buckets: Type.Array(closed({ t: Time, succeeded: Count, failed: Count, p50_ms: Latency, p99_ms: Latency })),
  totals: closed({ attempts: Count, succeeded: Count, failed: Count, success_rate: nullable(Type.Number()), p50_ms: Latency, p99_ms: Latency }),
});

export const PresetList = model('PresetList', 'A page of the delivery presets', {
  next_cursor: Cursor,
  data: Type.Array(closed({
    name: literals(PRESET_NAMES), description: Type.String(),
    signature: closed({ scheme: literals(SIGNATURE_SCHEMES), header: Type.Optional(Type.String()), secured: Type.Optional(Type.Boolean()) }),
    policy: Policy, payload: literals(['envelope', 'raw']),
    alerts: Type.Object({ rule: literals(['failure-ladder', 'daily-errors', 'failing-days', 'none']) }, { additionalProperties: true }),
    sources: Type.Array(closed({ seed: Type.String(), sentence: Type.String(), setting: Type.String() })),
  })),
});

export const DirectResult = model('DirectExchange', "One request made now and what the endpoint answered; for a poll webhook's test send, the delivery queued for its consumer", {
  succeeded: Type.Boolean({ description: 'the endpoint (or broker) accepted it; false when it failed, and when it was only queued' }),
  queued: Type.Boolean({ description: "true for a poll webhook's test send: nothing was sent now; the delivery waits for its consumer (GET …/poll), which receives it signed, and its attempt is recorded when the consumer acks it" }),
  logged: Type.Boolean(),
  delivery_id: nullable(Type.String()), event_id: nullable(Type.String()),
  request: Type.Union([closed({ url: Type.String(), method: Type.Literal('POST'), headers: StringMap, body: Type.String() }), Type.Null()], {
    description: 'what went out; null when queued (no request was made)',
  }),
  response: nullable(closed({ status: Type.Integer(), headers: nullable(StringMap), body: nullable(Type.String()), truncated: Type.Boolean() })),
  error: nullable(closed({ code: nullable(Type.String()), message: nullable(Type.String()) })),
  duration_ms: Type.Integer(),
});
export const RecoverResult = model('RecoverResult', 'How many deliveries were re-queued', { recovered: Count, batches: Count, webhook_state: WebhookState });
export const PollBatch = model('PollBatch', "A poll webhook's leased deliveries: each the signed request, with the lease token its ack must carry", {
  data: Type.Array(closed({
    delivery_id: Type.String({ description: 'also the webhook-id header: drop duplicates by it' }),
    lease_token: Type.String(), leased_until: Time, attempt: Type.Integer({ minimum: 1 }),
    event_id: Type.String(), event_type: Type.String(), is_test: Type.Boolean(),
    headers: StringMap, body: Type.String({ description: 'the exact signed bytes' }),
  })),
});
export const PollAckResult = model('PollAckResult', 'What became of each answer, in the order of its first mention', {
  data: Type.Array(closed({
    delivery_id: Type.String(),
    result: literals(['recorded', 'fenced', 'not_found']),
    status: Type.Optional(literals(['succeeded', 'pending', 'failed'])),
    next_attempt_at: nullable(Time),
  })),
});
export const DigestFlush = model('DigestFlushResult', 'Digests made now and the events they carry', { digests: Count, events: Count });

export const Ingested = model('IngestResult', 'The event and how many deliveries it made', { id: Type.String(), deliveries: Count });
export const BatchIngested = model('BatchIngestResult', 'Each event of the batch, in order', {
  data: Type.Array(closed({ id: Type.String(), deliveries: Count, replayed: Type.Boolean() })),
});

const DeliveryStatus = literals(['pending', 'batched', 'succeeded', 'failed', 'skipped', 'cancelled']);
const deliveryProps = {
  id: Type.String(), org_id: Type.String(), webhook_id: Type.String(), event_id: Type.String(), event_type: nullable(Type.String()),
  status: DeliveryStatus, attempts: Count, next_attempt_at: nullable(Time), is_test: Type.Boolean(),
  last_attempt_at: nullable(Time), last_status_code: nullable(Type.Integer()), last_error: nullable(Type.String()),
  digest_id: nullable(Type.String()), digest_status: nullable(DeliveryStatus), created_at: Time, updated_at: Time,
};
export const Delivery = model('Delivery', 'A delivery: one event to one webhook', deliveryProps);
export const DeliveryList = model('DeliveryList', 'A page of deliveries, newest first', { data: Type.Array(Delivery), next_cursor: Cursor });
const eventProps = {
  id: Type.String(), org_id: Type.String(), app_id: nullable(Type.String()), event: Type.String(),
  entity_type: nullable(Type.String()), entity_id: nullable(Type.String()), entity: Type.Unknown(),
  modified_fields: Type.Array(Type.String()), event_time: Type.Integer({ description: 'milliseconds since the epoch' }),
  idempotency_key: nullable(Type.String()), deliveries: Count, created_at: Time,
};
export const Event = model('Event', 'An ingested event', eventProps);
const DeliveryCounts = model('DeliveryCounts', "An event's deliveries counted by status", {
  pending: Count, batched: Count, succeeded: Count, failed: Count, skipped: Count, cancelled: Count,
});
export const EventSummary = model('EventSummary', 'An ingested event with its deliveries counted by status', { ...eventProps, delivery_counts: DeliveryCounts });
export const EventList = model('EventList', 'A page of events, newest first', { data: Type.Array(EventSummary), next_cursor: Cursor });
export const EventDetail = model('EventDetail', 'An event with its deliveries (the newest 250; the rest through listDeliveries with event_id)', {
  ...eventProps,
  delivery_counts: DeliveryCounts,
  delivery_list: Type.Array(Delivery),
  delivery_list_next_cursor: nullable(Type.String({ description: 'when the event has more deliveries than delivery_list: the cursor of listDeliveries?event_id=… for the rest' })),
});
export const Attempt = model('Attempt', 'One try of a delivery: an HTTP exchange, or a publish to a broker destination', {
  id: Type.String(), attempt: Type.Integer({ minimum: 1 }), started_at: Time, duration_ms: Type.Integer(),
  outcome: literals(['success', 'failure']), status_code: nullable(Type.Integer()),
  error_code: nullable(literals(ATTEMPT_ERROR_CODES)),
  error_message: nullable(Type.String()), request_headers: StringMap, response_headers: nullable(StringMap),
  response_body: nullable(Type.String()), response_truncated: Type.Boolean(), is_test: Type.Boolean(),
});
export const DeliveryDetail = model('DeliveryDetail', 'A delivery with its event and every attempt', {
  ...deliveryProps, event: nullable(Event), attempt_list: Type.Array(Attempt),
});

const apiKeyProps = {
  id: Type.String(), name: Type.String(), scopes: Type.Array(literals(API_SCOPES)),
  org_id: nullable(Type.String()), email: nullable(Type.String()), created_at: Time,
};
export const ApiKey = model('ApiKey', 'An API key (never its secret)', apiKeyProps);
export const ApiKeyCreated = model('ApiKeyCreated', 'A new API key with its secret, shown only here', { ...apiKeyProps, key: Type.String() });
export const ApiKeyList = model('ApiKeyList', 'A page of API keys, by id', { data: Type.Array(ApiKey), next_cursor: Cursor });

const PortalAccess = literals(['read', 'manage']);
export const PortalLink = model('PortalLink', 'A short-lived dashboard link limited to one org', {
  url: Type.String(), token: Type.String(), org_id: Type.String(), app_id: nullable(Type.String()), access: PortalAccess, expires_at: Time,
});
export const Whoami = model('Whoami', 'What the calling key or portal link may do', {
  kind: literals(['api_key', 'portal']), key_id: Type.String(), org_id: nullable(Type.String()), app_id: nullable(Type.String()),
  access: nullable(PortalAccess), scopes: Type.Array(literals(API_SCOPES)), expires_at: nullable(Time),
});

/** A 204: no body. */
export const NoContent = Type.Null({ description: 'No content' });
