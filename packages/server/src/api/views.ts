import { destinationView } from '../destinations/view.js';
import type { ApiKey, App, Attempt, Delivery, EventType, Org, StoredEvent, Webhook, WebhookKey } from '../model.js';
import { isPresetName } from '../policy/presets.js';
import { policyView, resolvePolicy, type PolicyOverrides } from '../policy/resolve.js';
import { iso } from '../time.js';

/** API representations: times as ISO 8601 strings, internal columns left out. */
export { iso };

export const orgView = (o: Org) => ({ id: o.id, name: o.name, owner_email: o.owner_email, settings: o.settings, created_at: iso(o.created_at), updated_at: iso(o.updated_at) });

export const appView = (a: App) => ({ id: a.id, org_id: a.org_id, name: a.name, created_at: iso(a.created_at) });

export const eventTypeView = (t: EventType) => ({
  name: t.name, kind: t.kind, description: t.description, schema: t.schema, example: t.example, deprecated: t.deprecated,
  created_at: iso(t.created_at), updated_at: iso(t.updated_at),
});

export function webhookView(w: Webhook) {
  const preset = isPresetName(w.preset) ? w.preset : 'standard';
  return {
    id: w.id, org_id: w.org_id, url: w.url, description: w.description, events: w.events, apps: w.apps,
    state: w.state, state_reason: w.state_reason, published: w.state !== 'draft', preset: w.preset,
    secured: w.signature.secured !== false,
    signature: { scheme: w.signature.scheme, ...(w.signature.header ? { header: w.signature.header } : {}) },
    policy: policyView(resolvePolicy(preset, w.policy as PolicyOverrides)), policy_overrides: w.policy,
    payload: w.payload_mode, filter: w.filter, alert_emails: w.alert_emails, metadata: w.metadata,
    // What identifies the client certificate; the key and the file never leave the store.
    client_certificate: w.client_certificate
      ? {
        subject: w.client_certificate.info.subject, issuer: w.client_certificate.info.issuer,
        not_after: iso(w.client_certificate.info.not_after), fingerprint_sha256: w.client_certificate.info.fingerprint_sha256,
      }
      : null,
    // Settings and which secret fields are set; the credentials never leave the store.
    destination: destinationView(w.destination),
    // For an immediate webhook next_digest_at may hold an internal sweep time: not shown.
    delivery: w.delivery, next_digest_at: w.delivery.mode === 'digest' ? iso(w.next_digest_at) : null,
    failures: w.failures_total, consecutive_failures: w.consecutive_failures, successes: w.successes_total,
    last_triggered_at: iso(w.last_triggered_at), last_success_at: iso(w.last_success_at), last_failure_at: iso(w.last_failure_at),
    created_by: w.created_by, modified_by: w.modified_by, created_at: iso(w.created_at), updated_at: iso(w.updated_at),
  };
}

export const keyView = (k: WebhookKey, inUse: boolean, secret?: string) => ({
  id: k.id, created_at: iso(k.created_at), in_use: inUse, ...k.public_view, ...(secret ? { secret } : {}),
});

export const eventView = (e: StoredEvent) => ({
  id: e.id, org_id: e.org_id, app_id: e.app_id, event: e.type, entity_type: e.entity_type, entity_id: e.entity_id,
  entity: JSON.parse(e.entity) as unknown, modified_fields: e.modified_fields, event_time: e.event_time,
  idempotency_key: e.idempotency_key, deliveries: e.delivery_count, created_at: iso(e.created_at),
});

export const deliveryView = (d: Delivery) => ({
  id: d.id, org_id: d.org_id, webhook_id: d.webhook_id, event_id: d.event_id, event_type: d.event_type ?? null, status: d.status, attempts: d.attempts,
  next_attempt_at: d.status === 'pending' ? iso(d.next_attempt_at) : null, is_test: d.is_test,
  last_attempt_at: iso(d.last_attempt_at), last_status_code: d.last_status_code, last_error: d.last_error,
  digest_id: d.digest_id, digest_status: d.digest_status,
  created_at: iso(d.created_at), updated_at: iso(d.updated_at),
});

export const attemptView = (a: Attempt) => ({
  id: a.id, attempt: a.attempt, started_at: iso(a.started_at), duration_ms: a.duration_ms, outcome: a.outcome,
  status_code: a.status_code, error_code: a.error_code, error_message: a.error_message, request_headers: a.request_headers,
  response_headers: a.response_headers, response_body: a.response_body, response_truncated: a.response_truncated, is_test: a.is_test,
});

export const apiKeyView = (k: ApiKey) => ({ id: k.id, name: k.name, scopes: k.scopes, org_id: k.org_id, email: k.email, created_at: iso(k.created_at) });
