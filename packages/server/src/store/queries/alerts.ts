/**
 * Alert state, the mail outbox and the operational-event outbox (migration 000003).
 * Shared SQL with `?` placeholders; the few dialect differences (row locks, SKIP LOCKED)
 * are chosen by the dialect argument.
 */
import type { AlertState } from '../../alerts/types.js';
import type { OrgSettings, WebhookState } from '../../model.js';
import type { Dialect, SqlExecutor } from '../sql.js';
import { json, placeholders } from './rows.js';

/** An alert state row joined with what the rules and the mail need of its webhook. */
export interface LockedAlertState {
  webhook_id: string;
  state: AlertState;
  webhook: {
    org_id: string;
    url: string;
    description: string;
    preset: string;
    state: WebhookState;
    state_reason: string | null;
    revision: number;
    last_success_at: number | null;
    alert_emails: string[];
    created_by: string | null;
    modified_by: string | null;
  };
}

type StateRow = AlertState & {
  webhook_id: string;
  org_id: string;
  url: string;
  description: string;
  preset: string;
  webhook_state: WebhookState;
  state_reason: string | null;
  revision: number;
  last_success_at: number | null;
  alert_emails: string;
  created_by: string | null;
  modified_by: string | null;
};

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Makes sure each (existing) webhook has a state row; in id order, so concurrent inserts cannot deadlock. */
export async function ensureAlertStates(tx: SqlExecutor, webhookIds: readonly string[], now: number): Promise<void> {
  if (webhookIds.length === 0) return;
  await tx.run(
    `INSERT INTO webhook_alert_state (webhook_id, updated_at)
     SELECT id, CAST(? AS BIGINT) FROM webhooks WHERE id IN (${placeholders(webhookIds.length)}) ORDER BY id
     ON CONFLICT (webhook_id) DO NOTHING`,
    [now, ...webhookIds],
  );
}

/**
 * Reads and locks the state rows (PostgreSQL: FOR UPDATE, in id order; SQLite: the caller's
 * immediate transaction already excludes every other writer).
 */
export async function lockAlertStates(tx: SqlExecutor, dialect: Dialect, webhookIds: readonly string[]): Promise<LockedAlertState[]> {
  if (webhookIds.length === 0) return [];
  const rows = await tx.all<StateRow>(
    `SELECT s.webhook_id, s.success_seen_at, s.streak, s.failing_since, s.last_failure_at, s.step, s.warned_at, s.day,
       s.day_errors, s.deactivated_revision, w.org_id, w.url, w.description, w.preset, w.state AS webhook_state,
       w.state_reason, w.revision, w.last_success_at, w.alert_emails, w.created_by, w.modified_by
     FROM webhook_alert_state s JOIN webhooks w ON w.id = s.webhook_id
     WHERE s.webhook_id IN (${placeholders(webhookIds.length)}) ORDER BY s.webhook_id
     ${dialect === 'postgres' ? 'FOR UPDATE OF s' : ''}`,
    webhookIds,
  );
  return rows.map((r) => ({
    webhook_id: r.webhook_id,
    state: {
      success_seen_at: num(r.success_seen_at),
      streak: Number(r.streak),
      failing_since: num(r.failing_since),
      last_failure_at: num(r.last_failure_at),
      step: Number(r.step),
      warned_at: num(r.warned_at),
      day: num(r.day),
      day_errors: Number(r.day_errors),
      deactivated_revision: num(r.deactivated_revision),
    },
    webhook: {
      org_id: r.org_id,
      url: r.url,
      description: r.description,
      preset: r.preset,
      state: r.webhook_state,
      state_reason: r.state_reason,
      revision: Number(r.revision),
      last_success_at: num(r.last_success_at),
      alert_emails: json<string[]>(r.alert_emails, []),
      created_by: r.created_by,
      modified_by: r.modified_by,
    },
  }));
}

export async function saveAlertState(tx: SqlExecutor, webhookId: string, s: AlertState, now: number): Promise<void> {
  await tx.run(
    `UPDATE webhook_alert_state SET success_seen_at = ?, streak = ?, failing_since = ?, last_failure_at = ?, step = ?,
       warned_at = ?, day = ?, day_errors = ?, deactivated_revision = ?, updated_at = ? WHERE webhook_id = ?`,
    [s.success_seen_at, s.streak, s.failing_since, s.last_failure_at, s.step, s.warned_at, s.day, s.day_errors,
      s.deactivated_revision, now, webhookId],
  );
}

/**
 * Deactivates an enabled webhook by a rule and bumps its revision (workers reload it and skip
 * its deliveries). Answers the new revision, or null when it was not enabled any more.
 */
export async function deactivateWebhook(tx: SqlExecutor, webhookId: string, reason: string, now: number): Promise<number | null> {
  const row = await tx.get<{ revision: number }>(
    `UPDATE webhooks SET state = 'deactivated', state_reason = ?, revision = revision + 1, updated_at = ?
     WHERE id = ? AND state = 'enabled' RETURNING revision`,
    [reason, now, webhookId],
  );
  return row ? Number(row.revision) : null;
}

export interface AlertOrg {
  id: string;
  owner_email: string;
  settings: OrgSettings;
}

export async function alertOrgs(tx: SqlExecutor, orgIds: readonly string[]): Promise<Map<string, AlertOrg>> {
  if (orgIds.length === 0) return new Map();
  const rows = await tx.all<{ id: string; owner_email: string; settings: string }>(
    `SELECT id, owner_email, settings FROM orgs WHERE id IN (${placeholders(orgIds.length)})`,
    orgIds,
  );
  return new Map(rows.map((r) => [r.id, { id: r.id, owner_email: r.owner_email, settings: json<OrgSettings>(r.settings, {}) }]));
}

/** Emails of API keys (revoked ones too: the person who made a change is still the one to tell). */
export async function apiKeyEmails(tx: SqlExecutor, keyIds: readonly string[]): Promise<Map<string, string>> {
  if (keyIds.length === 0) return new Map();
  const rows = await tx.all<{ id: string; email: string }>(
    `SELECT id, email FROM api_keys WHERE email IS NOT NULL AND id IN (${placeholders(keyIds.length)})`,
    keyIds,
  );
  return new Map(rows.map((r) => [r.id, r.email]));
}

/** (org, event type) pairs of the given orgs with a webhook that names an operational event type. */
export async function operationalSubscriptions(tx: SqlExecutor, orgIds: readonly string[], types: readonly string[]): Promise<Set<string>> {
  if (orgIds.length === 0) return new Set();
  const rows = await tx.all<{ org_id: string; event_type: string }>(
    `SELECT DISTINCT org_id, event_type FROM webhook_subscriptions
     WHERE org_id IN (${placeholders(orgIds.length)}) AND event_type IN (${placeholders(types.length)})`,
    [...orgIds, ...types],
  );
  return new Set(rows.map((r) => `${r.org_id}\u0000${r.event_type}`));
}

/** Webhooks that name these event types (explicit subscriptions only, not `*`), by org and type. */
export async function explicitSubscribers(db: SqlExecutor, orgIds: readonly string[], types: readonly string[]): Promise<Map<string, Set<string>>> {
  const map = new Map<string, Set<string>>();
  if (orgIds.length === 0) return map;
  const rows = await db.all<{ org_id: string; event_type: string; webhook_id: string }>(
    `SELECT org_id, event_type, webhook_id FROM webhook_subscriptions
     WHERE org_id IN (${placeholders(orgIds.length)}) AND event_type IN (${placeholders(types.length)})`,
    [...orgIds, ...types],
  );
  for (const r of rows) {
    const key = `${r.org_id}\u0000${r.event_type}`;
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(r.webhook_id);
  }
  return map;
}

export interface ExhaustedDelivery {
  id: string;
  event_id: string;
  event_type: string;
  attempts: number;
}

export async function exhaustedDeliveries(tx: SqlExecutor, ids: readonly string[]): Promise<ExhaustedDelivery[]> {
  if (ids.length === 0) return [];
  const rows = await tx.all<ExhaustedDelivery>(
    `SELECT d.id, d.event_id, e.type AS event_type, d.attempts FROM deliveries d JOIN events e ON e.id = d.event_id
     WHERE d.id IN (${placeholders(ids.length)})`,
    ids,
  );
  return rows.map((r) => ({ ...r, attempts: Number(r.attempts) }));
}

// ---- mail outbox ----

export interface OutboxMail {
  id: string;
  org_id: string;
  webhook_id: string;
  kind: string;
  recipients: string[];
  subject: string;
  text: string;
  attempts: number;
  lease_token: string | null;
}

export async function insertMail(tx: SqlExecutor, m: Omit<OutboxMail, 'attempts' | 'lease_token'>, now: number): Promise<void> {
  await tx.run(
    `INSERT INTO mail_outbox (id, org_id, webhook_id, kind, recipients, subject, text, status, attempts, next_try_at, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
    [m.id, m.org_id, m.webhook_id, m.kind, JSON.stringify(m.recipients), m.subject, m.text, now, now],
  );
}

/** Leases up to `limit` due mails until now + leaseMs; a lease left by a dead process simply expires. */
export async function claimMail(db: SqlExecutor, dialect: Dialect, now: number, leaseMs: number, token: string, limit: number): Promise<OutboxMail[]> {
  const rows = await db.all<Omit<OutboxMail, 'recipients'> & { recipients: string }>(
    `UPDATE mail_outbox SET lease_token = ?, next_try_at = ?
     WHERE id IN (SELECT id FROM mail_outbox WHERE status = 'pending' AND next_try_at <= ? ORDER BY next_try_at LIMIT ?
       ${dialect === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : ''})
     RETURNING id, org_id, webhook_id, kind, recipients, subject, text, attempts, lease_token`,
    [token, now + leaseMs, now, limit],
  );
  return rows.map((r) => ({ ...r, attempts: Number(r.attempts), recipients: json<string[]>(r.recipients, []) }));
}

export type MailOutcome =
  | { id: string; status: 'sent' | 'skipped'; at: number }
  | { id: string; status: 'failed'; error: string }
  | { id: string; status: 'pending'; error: string; next_try_at: number };

/** Writes what happened to leased mails (fenced by the lease token). */
export async function finishMail(db: SqlExecutor, token: string, outcomes: readonly MailOutcome[]): Promise<void> {
  for (const o of outcomes) {
    if (!('error' in o)) {
      await db.run(
        `UPDATE mail_outbox SET status = ?, sent_at = ?, attempts = attempts + ?, next_try_at = NULL, lease_token = NULL
         WHERE id = ? AND lease_token = ?`,
        [o.status, o.status === 'sent' ? o.at : null, o.status === 'sent' ? 1 : 0, o.id, token],
      );
    } else {
      await db.run(
        `UPDATE mail_outbox SET status = ?, attempts = attempts + 1, last_error = ?, next_try_at = ?, lease_token = NULL
         WHERE id = ? AND lease_token = ?`,
        [o.status, o.error.slice(0, 1000), o.status === 'pending' ? o.next_try_at : null, o.id, token],
      );
    }
  }
}

export async function nextMailDueAt(db: SqlExecutor): Promise<number | null> {
  const row = await db.get<{ t: number | null }>(`SELECT min(next_try_at) AS t FROM mail_outbox WHERE status = 'pending'`);
  return num(row?.t);
}

// ---- operational event outbox ----

export interface OutboxEvent {
  id: string;
  org_id: string;
  type: string;
  entity_type: string;
  entity_id: string;
  entity: string;
  event_time: number;
  created_at: number;
}

export async function insertOperationalEvent(tx: SqlExecutor, e: OutboxEvent): Promise<void> {
  await tx.run(
    `INSERT INTO operational_events (id, org_id, type, entity_type, entity_id, entity, event_time, created_at, next_try_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [e.id, e.org_id, e.type, e.entity_type, e.entity_id, e.entity, e.event_time, e.created_at, e.created_at],
  );
}

export async function claimOperationalEvents(db: SqlExecutor, dialect: Dialect, now: number, leaseMs: number, limit: number): Promise<OutboxEvent[]> {
  const rows = await db.all<OutboxEvent>(
    `UPDATE operational_events SET next_try_at = ?
     WHERE id IN (SELECT id FROM operational_events WHERE done_at IS NULL AND next_try_at <= ? ORDER BY next_try_at LIMIT ?
       ${dialect === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : ''})
     RETURNING id, org_id, type, entity_type, entity_id, entity, event_time, created_at`,
    [now + leaseMs, now, limit],
  );
  return rows.map((r) => ({ ...r, event_time: Number(r.event_time), created_at: Number(r.created_at) }));
}

export async function finishOperationalEvent(db: SqlExecutor, id: string, eventId: string | null, now: number): Promise<void> {
  await db.run('UPDATE operational_events SET done_at = ?, event_id = ?, next_try_at = NULL WHERE id = ?', [now, eventId, id]);
}

export async function retryOperationalEvent(db: SqlExecutor, id: string, at: number): Promise<void> {
  await db.run('UPDATE operational_events SET next_try_at = ? WHERE id = ? AND done_at IS NULL', [at, id]);
}

export async function nextOperationalDueAt(db: SqlExecutor): Promise<number | null> {
  const row = await db.get<{ t: number | null }>('SELECT min(next_try_at) AS t FROM operational_events WHERE done_at IS NULL');
  return num(row?.t);
}
