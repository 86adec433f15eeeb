/**
 * The shapes the public API answers, taken from @herald/client: its types are generated from
 * the server's /openapi.json, which the server's conformance test holds every answer to.
 * Only what the document cannot say is written here: request-side helpers of this app.
 */
import type { Schemas } from '@herald/client';

export type Org = Schemas['Org'];
export type App = Schemas['App'];
export type EventType = Schemas['EventType'];
/** What the event panels read of a type: a subscribed name missing from the catalogue has only these. */
export type EventTypeSummary = Pick<EventType, 'name' | 'kind' | 'description' | 'example' | 'deprecated'>;
export type WhoAmI = Schemas['Whoami'];
export type Policy = Schemas['Policy'];
export type Preset = Schemas['PresetList']['data'][number];
export type WebhookKey = Schemas['WebhookKey'];
export type WebhookStats = Schemas['WebhookStats'];
export type Delivery = Schemas['Delivery'];
export type StoredEvent = Schemas['Event'];
export type Attempt = Schemas['Attempt'];
export type DeliveryDetail = Schemas['DeliveryDetail'];
/** What test, trial and call answer: the whole exchange. */
export type DirectResult = Schemas['DirectExchange'];
export type RecoverResult = Schemas['RecoverResult'];
export type PortalLink = Schemas['PortalLink'];
export type ApiKey = Schemas['ApiKey'];

export type WebhookState = Schemas['WebhookWithRecent']['state'];
export type DeliveryStatus = Schemas['Delivery']['status'];
export type PresetName = Preset['name'];
export type PortalAccess = PortalLink['access'];
export type UrlRules = NonNullable<Org['settings']['url_rules']>;
export type SuccessRule = Policy['success'];
export type StatsBucket = WebhookStats['buckets'][number];

/**
 * The policy fields a webhook sets over its preset (the server's PolicyInput). The server may
 * know fields this app does not: forms keep those as they are (see advanced.ts).
 */
export type PolicyOverrides = Schemas['PolicyInput'] & { [other: string]: unknown };

/**
 * A webhook as read (the list adds its last 24 hours). Two fields narrower than the document
 * says: its overrides, typed as the input they came from (the document leaves them open to
 * fields a newer server knows), and its preset, which the server only ever stores from the
 * names it accepts on create and change.
 */
type Recent = 'attempts_24h' | 'failures_24h' | 'success_rate_24h';
export type Webhook = Omit<Schemas['WebhookWithRecent'], 'policy_overrides' | 'preset' | Recent> & Partial<Pick<Schemas['WebhookWithRecent'], Recent>> & {
  policy_overrides: PolicyOverrides;
  preset: PresetName;
  /** The ETag it was read with (kept by the client, not a field of the answer): sent as If-Match by the settings form. */
  etag?: string;
};
/** Where a webhook's deliveries go: HTTP, a poll queue, or a broker (docs/destinations.md). */
export type DestinationKind = Webhook['destination']['kind'];
export type CreatedWebhook = Webhook & Pick<Schemas['WebhookCreated'], 'key'>;

/** What the webhook form sends, on create and on change. */
export type WebhookInput = Omit<Schemas['WebhookPatch'], 'policy'> & { policy?: PolicyOverrides | null };

export interface Page<T> {
  data: T[];
  next_cursor?: string | null;
}

/** The delivery log's filters as the form holds them ('' = any status). */
export interface DeliveryFilters {
  status?: DeliveryStatus | '';
  event_type?: string;
  since?: string;
  until?: string;
  /** The next_cursor of the page before. */
  cursor?: string;
  limit?: number;
}
