import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DESTINATION_KINDS } from '../destinations/settings.js';
import { API_SCOPES } from '../model.js';
import { PRESET_NAMES } from '../policy/presets.js';
import { bounds, RANGES } from '../policy/ranges.js';
import { SIGNATURE_SCHEMES } from '../signing/index.js';
import { COMPONENT_KEY } from './schema-names.js';
import { beforeAlias, pageProps } from './pagination.js';

/** Request and response schemas: one source for validation and for /openapi.json. */
const strictObject = <T extends Parameters<typeof Type.Object>[0]>(props: T, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });
/** A request body listed under components.schemas in /openapi.json. */
export const namedObject = <T extends Parameters<typeof Type.Object>[0]>(name: string, props: T, description?: string) =>
  Type.Object(props, { additionalProperties: false, [COMPONENT_KEY]: name, ...(description ? { description } : {}) });

export const Slug = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'lowercase letters, digits, - and _' });
export const EventName = Type.String({ pattern: '^[a-zA-Z0-9_]+(\\.[a-zA-Z0-9_]+)*$', maxLength: 128 });
const Email = Type.String({ format: 'email', maxLength: 254 });
const Duration = Type.String({ pattern: '^\\d+(ms|s|m|h|d)$', maxLength: 20, description: 'e.g. 30s, 5m, 2h, 1d' });

const orUnset = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));
const settingFields = {
  max_webhooks: Type.Integer({ ...bounds('settings.max_webhooks'), description: 'most webhooks the org may hold (unlimited when absent)' }),
  max_webhooks_counts: Type.Union([Type.Literal('all'), Type.Literal('salesiq')], { description: 'count every webhook (default) or only salesiq-preset ones (seed 002)' }),
  url_rules: strictObject({
    https_only: Type.Optional(Type.Boolean()),
    forbid_explicit_port: Type.Optional(Type.Boolean()),
  }, 'seed 000 URL rules, off unless set'),
  validate_urls: Type.Boolean({ description: 'check a URL answers when a webhook is saved (default true)' }),
  retention_days: Type.Integer({ ...bounds('settings.retention_days'), description: 'days attempts and logs are kept (default 60)' }),
  alert_mail: Type.Union([Type.Literal('preset'), Type.Literal('off')], { description: "alert mail by the preset's rules (default) or none" }),
};
const OrgSettingsCreate = strictObject({
  max_webhooks: Type.Optional(settingFields.max_webhooks),
  max_webhooks_counts: Type.Optional(settingFields.max_webhooks_counts),
  url_rules: Type.Optional(settingFields.url_rules),
  validate_urls: Type.Optional(settingFields.validate_urls),
  retention_days: Type.Optional(settingFields.retention_days),
  alert_mail: Type.Optional(settingFields.alert_mail),
});
/** In a PATCH, null removes a setting (back to its default); absent leaves it. */
const OrgSettingsPatch = strictObject({
  max_webhooks: orUnset(settingFields.max_webhooks),
  max_webhooks_counts: orUnset(settingFields.max_webhooks_counts),
  url_rules: orUnset(settingFields.url_rules),
  validate_urls: orUnset(settingFields.validate_urls),
  retention_days: orUnset(settingFields.retention_days),
  alert_mail: orUnset(settingFields.alert_mail),
});

export const OrgCreate = namedObject('OrgCreate', {
  id: Slug,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  owner_email: Email,
  settings: Type.Optional(OrgSettingsCreate),
});
export const OrgPatch = namedObject('OrgPatch', {
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  owner_email: Type.Optional(Email),
  settings: Type.Optional(OrgSettingsPatch),
});
export const AppCreate = namedObject('AppCreate', { id: Type.Optional(Slug), name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) });

export const EventTypeCreate = namedObject('EventTypeCreate', {
  name: EventName,
  kind: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('data')])),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  schema: Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()])),
  example: Type.Optional(Type.Unknown()),
  deprecated: Type.Optional(Type.Boolean()),
});

export const PolicyInput = namedObject('PolicyInput', {
  timeout_ms: Type.Optional(Type.Integer(bounds('policy.timeout_ms'))),
  retry_schedule: Type.Optional(Type.Array(Duration, { maxItems: RANGES['policy.retry_schedule'].max })),
  retry_jitter: Type.Optional(Type.Number(bounds('policy.retry_jitter'))),
  success: Type.Optional(
    strictObject({
      status: Type.Optional(Type.Array(Type.Union([Type.Integer({ minimum: 100, maximum: 599 }), Type.Literal('2xx')]), { minItems: 1, maxItems: RANGES['policy.success.status'].max })),
      bodies: Type.Optional(Type.Union([Type.Array(Type.String({ maxLength: 10000 }), { minItems: 1, maxItems: RANGES['policy.success.bodies'].max }), Type.Null()])),
    }),
  ),
  on_410: Type.Optional(Type.Union([Type.Literal('deactivate'), Type.Literal('retry')])),
  rate_limit: Type.Optional(Type.Union([Type.Number({ ...bounds('policy.rate_limit'), description: 'most requests started per second, per worker process' }), Type.Null()])),
  max_in_flight: Type.Optional(Type.Union([Type.Integer({ ...bounds('policy.max_in_flight'), description: 'most requests in flight at once, per worker process' }), Type.Null()])),
  ordering: Type.Optional(Type.Union([Type.Literal('any'), Type.Literal('fifo')], { description: 'fifo: one delivery at a time, oldest first, across every process' })),
});

const SignatureInput = strictObject({
  scheme: Type.Optional(Type.Union(SIGNATURE_SCHEMES.map((s) => Type.Literal(s)))),
  header: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", maxLength: 100 })),
});

/** One request per event (default), or a digest: a period's events in one request (docs/digests.md). */
const DeliveryInput = Type.Union([
  strictObject({ mode: Type.Literal('immediate') }),
  strictObject({
    mode: Type.Literal('digest'),
    every: Type.Optional(Type.String({ pattern: '^\\d+(ms|s|m|h|d)$', maxLength: 20, description: "period, 1m to 31d: 15m, 1h, 1d (default 1d), counted from the webhook's creation" })),
    at: Type.Optional(Type.String({ pattern: '^\\d{2}:\\d{2}$', description: 'daily at this local time, HH:MM (with every 1d)' })),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone of at, e.g. Europe/Paris (default UTC)' })),
    cron: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'reserved: cron schedules are refused for now' })),
  }),
]);

/** Mutual TLS (seed 004): a PKCS#12 file in base64, or a PEM certificate (chain) and key; checked on upload, stored encrypted. */
const ClientCertificateInput = Type.Union([
  strictObject({
    pfx: Type.String({ minLength: 1, maxLength: 200_000, description: 'the .pfx/.p12 file in base64' }),
    passphrase: Type.Optional(Type.String({ maxLength: 1024 })),
  }),
  strictObject({
    cert: Type.String({ minLength: 1, maxLength: 200_000, description: 'PEM certificate, optionally followed by its chain' }),
    key: Type.String({ minLength: 1, maxLength: 50_000, description: 'PEM private key (may be encrypted: send passphrase)' }),
    passphrase: Type.Optional(Type.String({ maxLength: 1024 })),
  }),
], { description: 'client certificate for mutual TLS; null removes it' });

/**
 * Where deliveries go. Only `kind` is checked here: the rest of a broker's settings is checked
 * by destinations/settings.ts when saved (422 HERALD_DESTINATION_INVALID lists every problem).
 */
const DestinationInput = Type.Object({
  kind: Type.Union(['http', ...DESTINATION_KINDS].map((k) => Type.Literal(k))),
}, {
  additionalProperties: true,
  description: 'http (default: a POST to url), or a broker: amqp {url, exchange, routing_key, persistent?, mandatory?}, '
    + 'nats {servers, subject, auth?}, redis-stream {url, stream, maxlen?}; or poll {} (the consumer leases deliveries: GET …/poll); see docs/destinations.md',
});

const webhookFields = {
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  events: Type.Array(Type.Union([EventName, Type.Literal('*')]), { minItems: 1, maxItems: 500 }),
  apps: Type.Optional(Type.Union([Type.Array(Slug, { maxItems: 500 }), Type.Null()])),
  preset: Type.Optional(Type.Union(PRESET_NAMES.map((p) => Type.Literal(p)))),
  secured: Type.Optional(Type.Boolean()),
  published: Type.Optional(Type.Boolean()),
  signature: Type.Optional(SignatureInput),
  policy: Type.Optional(PolicyInput),
  payload: Type.Optional(Type.Union([Type.Literal('envelope'), Type.Literal('raw')])),
  delivery: Type.Optional(DeliveryInput),
  filter: Type.Optional(Type.Union([Type.String({ maxLength: 2000, description: 'rule over the envelope, e.g. entity.rating <= 2' }), Type.Null()])),
  alert_emails: Type.Optional(Type.Array(Email, { maxItems: 20 })),
  metadata: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), Type.String({ maxLength: 1000 }))),
  client_certificate: Type.Optional(Type.Union([ClientCertificateInput, Type.Null()])),
  destination: Type.Optional(DestinationInput),
};

export const WebhookCreate = namedObject('WebhookCreate', {
  ...webhookFields,
  url: Type.Optional(webhookFields.url),
  events: Type.Optional(webhookFields.events),
  /** Seed 001's form: {"webhook": {"url", "secured"}, "published"}. */
  webhook: Type.Optional(strictObject({ url: webhookFields.url, secured: Type.Optional(Type.Boolean()) })),
});
export type WebhookCreateBody = Static<typeof WebhookCreate>;

export const WebhookPatch = namedObject('WebhookPatch', {
  url: Type.Optional(webhookFields.url),
  description: webhookFields.description,
  events: Type.Optional(webhookFields.events),
  apps: webhookFields.apps,
  preset: webhookFields.preset,
  secured: webhookFields.secured,
  published: webhookFields.published,
  signature: webhookFields.signature,
  policy: Type.Optional(Type.Union([PolicyInput, Type.Null()])),
  payload: webhookFields.payload,
  delivery: webhookFields.delivery,
  filter: webhookFields.filter,
  alert_emails: webhookFields.alert_emails,
  metadata: webhookFields.metadata,
  client_certificate: webhookFields.client_certificate,
  destination: webhookFields.destination,
  state: Type.Optional(Type.Union([Type.Literal('enabled'), Type.Literal('disabled')])),
});
export type WebhookPatchBody = Static<typeof WebhookPatch>;

export const EventInput = namedObject('EventInput', {
  event: EventName,
  entity: Type.Optional(Type.Unknown()),
  entity_type: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  entity_id: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Integer(bounds('entity_id'))])),
  app_id: Type.Optional(Slug),
  modified_fields: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 500 })),
  idempotency_key: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  event_time: Type.Optional(Type.Integer({ ...bounds('event_time'), description: 'milliseconds since the epoch (at most year 9999); default now' })),
});
export type EventInputBody = Static<typeof EventInput>;
export const EventBatch = namedObject('EventBatch', { events: Type.Array(EventInput, { minItems: 1, maxItems: 1000 }) });

export const ApiKeyCreate = namedObject('ApiKeyCreate', {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  scopes: Type.Array(Type.Union(API_SCOPES.map((s) => Type.Literal(s))), { minItems: 1 }),
  org_id: Type.Optional(Type.Union([Slug, Type.Null()])),
  email: Type.Optional(Type.Union([Email, Type.Null()], { description: 'who uses the key: alert mail about webhooks it creates or changes goes there too' })),
});

export const DeliveryQuery = Type.Object({
  ...pageProps,
  ...beforeAlias,
  status: Type.Optional(
    Type.Union((['pending', 'batched', 'succeeded', 'failed', 'skipped', 'cancelled'] as const).map((s) => Type.Literal(s))),
  ),
  event_id: Type.Optional(Type.String({ maxLength: 100 })),
  digest_id: Type.Optional(Type.String({ maxLength: 100, description: 'the members of this digest delivery' })),
  event_type: Type.Optional(Type.String({ maxLength: 128, description: 'deliveries of events of this type' })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'created at or after this time (ISO 8601)' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'created before this time (ISO 8601)' })),
});

export const OrgParams = Type.Object({ org: Type.String({ maxLength: 100 }) });
export const IdParams = Type.Object({ org: Type.String({ maxLength: 100 }), id: Type.String({ maxLength: 100 }) });
export const KeyParams = Type.Object({
  org: Type.String({ maxLength: 100 }),
  id: Type.String({ maxLength: 100 }),
  keyId: Type.String({ maxLength: 100 }),
});
