import type { DeliveryMode, PayloadMode, SignatureConfig, StoredClientCertificate, StoredDestination, Webhook, WebhookKey, WebhookState } from '../../model.js';
import type { SqlExecutor } from '../sql.js';
import { OF_WEBHOOK } from './pending.js';
import { chunks, json, placeholders } from './rows.js';

type Row = Omit<Webhook, 'events' | 'apps' | 'signature' | 'policy' | 'alert_emails' | 'metadata' | 'delivery' | 'client_certificate' | 'destination'> & {
  /** Settings JSON and sealed credentials (migration 000011); NULL settings: HTTP. */
  destination: string | null;
  destination_sealed: string | null;
  delivery: string;
  /** Sealed upload, and its public JSON (migration 000004). */
  client_certificate: string | null;
  client_certificate_info: string | null;
  events: string;
  apps: string | null;
  signature: string;
  policy: string;
  alert_emails: string;
  metadata: string;
};

function clientCertificate(sealed: string | null, info: string | null): StoredClientCertificate | null {
  if (sealed === null || info === null) return null;
  return { sealed, info: json<StoredClientCertificate['info']>(info, { subject: '', issuer: '', not_after: 0, fingerprint_sha256: '' }) };
}

/** The sealed client certificate and its public JSON, as columns. */
function certificateColumns(w: Webhook): [string | null, string | null] {
  const c = w.client_certificate ?? null;
  return c === null ? [null, null] : [c.sealed, JSON.stringify(c.info)];
}

/** The destination column: {settings, secrets_set} as JSON; the credentials are in destination_sealed. */
type DestinationColumn = Pick<StoredDestination, 'settings' | 'secrets_set'>;

function destination(column: string | null, sealed: string | null): StoredDestination | null {
  if (column === null) return null;
  const { settings, secrets_set } = JSON.parse(column) as DestinationColumn;
  return { settings, secrets_set: secrets_set ?? [], sealed };
}

function destinationColumns(w: Webhook): [string | null, string | null] {
  const d = w.destination ?? null;
  if (d === null) return [null, null];
  const column: DestinationColumn = { settings: d.settings, secrets_set: d.secrets_set };
  return [JSON.stringify(column), d.sealed];
}

export const toWebhook = ({ client_certificate: sealedCert, client_certificate_info: certInfo, destination: dest, destination_sealed: destSealed, ...r }: Row): Webhook => ({
  ...r,
  destination: destination(dest ?? null, destSealed ?? null),
  client_certificate: clientCertificate(sealedCert ?? null, certInfo ?? null),
  events: json<string[]>(r.events, []),
  apps: json<string[] | null>(r.apps, null),
  signature: json<SignatureConfig>(r.signature, { scheme: 'standard' }),
  policy: json<Record<string, unknown>>(r.policy, {}),
  alert_emails: json<string[]>(r.alert_emails, []),
  metadata: json<Record<string, string>>(r.metadata, {}),
  payload_mode: r.payload_mode as PayloadMode,
  delivery: json<DeliveryMode>(r.delivery, { mode: 'immediate' }),
});

async function writeSubscriptions(db: SqlExecutor, w: Webhook): Promise<void> {
  await db.run('DELETE FROM webhook_subscriptions WHERE webhook_id = ?', [w.id]);
  for (const type of new Set(w.events)) {
    await db.run('INSERT INTO webhook_subscriptions (org_id, event_type, webhook_id) VALUES (?, ?, ?)', [w.org_id, type, w.id]);
  }
}

export async function insertWebhook(db: SqlExecutor, w: Webhook): Promise<void> {
  await db.run(
    `INSERT INTO webhooks (id, org_id, url, description, events, apps, state, state_reason, preset, signature, policy, filter,
       payload_mode, alert_emails, metadata, created_by, modified_by, revision, created_at, updated_at, delivery, next_digest_at,
       client_certificate, client_certificate_info, destination, destination_sealed)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [w.id, w.org_id, w.url, w.description, JSON.stringify(w.events), w.apps === null ? null : JSON.stringify(w.apps),
      w.state, w.state_reason, w.preset, JSON.stringify(w.signature), JSON.stringify(w.policy), w.filter, w.payload_mode,
      JSON.stringify(w.alert_emails), JSON.stringify(w.metadata), w.created_by, w.modified_by, w.revision, w.created_at,
      w.updated_at, JSON.stringify(w.delivery), w.next_digest_at, ...certificateColumns(w), ...destinationColumns(w)],
  );
  await writeSubscriptions(db, w);
}

/** Writes a changed webhook and bumps its revision, so workers reload its settings. */
export async function updateWebhook(db: SqlExecutor, w: Webhook): Promise<void> {
  await db.run(
    `UPDATE webhooks SET url = ?, description = ?, events = ?, apps = ?, state = ?, state_reason = ?, preset = ?, signature = ?,
       policy = ?, filter = ?, payload_mode = ?, alert_emails = ?, metadata = ?, modified_by = ?, revision = revision + 1,
       updated_at = ?, client_certificate = ?, client_certificate_info = ?, destination = ?, destination_sealed = ? WHERE id = ?`,
    [w.url, w.description, JSON.stringify(w.events), w.apps === null ? null : JSON.stringify(w.apps), w.state, w.state_reason,
      w.preset, JSON.stringify(w.signature), JSON.stringify(w.policy), w.filter, w.payload_mode, JSON.stringify(w.alert_emails),
      JSON.stringify(w.metadata), w.modified_by, w.updated_at, ...certificateColumns(w), ...destinationColumns(w), w.id],
  );
  await writeSubscriptions(db, w);
}

export async function resetFailureCount(db: SqlExecutor, id: string): Promise<void> {
  await db.run('UPDATE webhooks SET consecutive_failures = 0 WHERE id = ?', [id]);
}

export async function bumpRevision(db: SqlExecutor, id: string, now: number): Promise<void> {
  await db.run('UPDATE webhooks SET revision = revision + 1, updated_at = ? WHERE id = ?', [now, id]);
}

/** A webhook's state and revision, or undefined when it was deleted (a cheap look by id). */
export async function webhookStateOf(db: SqlExecutor, id: string): Promise<{ state: WebhookState; revision: number } | undefined> {
  const row = await db.get<{ state: WebhookState; revision: number }>('SELECT state, revision FROM webhooks WHERE id = ?', [id]);
  return row === undefined ? undefined : { state: row.state, revision: Number(row.revision) };
}

export async function getWebhook(db: SqlExecutor, orgId: string, id: string): Promise<Webhook | undefined> {
  const row = await db.get<Row>('SELECT * FROM webhooks WHERE org_id = ? AND id = ?', [orgId, id]);
  return row && toWebhook(row);
}

export async function getWebhooksByIds(db: SqlExecutor, ids: readonly string[]): Promise<Webhook[]> {
  if (ids.length === 0) return [];
  const rows = await db.all<Row>(`SELECT * FROM webhooks WHERE id IN (${placeholders(ids.length)})`, ids);
  return rows.map(toWebhook);
}

export async function listWebhooks(db: SqlExecutor, orgId: string, limit: number, after: string | null, state?: WebhookState): Promise<Webhook[]> {
  const rows = await db.all<Row>(
    `SELECT * FROM webhooks WHERE org_id = ? AND id > ? ${state ? 'AND state = ?' : ''} ORDER BY id LIMIT ?`,
    state ? [orgId, after ?? '', state, limit] : [orgId, after ?? '', limit],
  );
  return rows.map(toWebhook);
}

export async function countWebhooks(db: SqlExecutor, orgId: string, preset?: string): Promise<number> {
  const row = preset
    ? await db.get<{ n: number }>('SELECT count(*) AS n FROM webhooks WHERE org_id = ? AND preset = ?', [orgId, preset])
    : await db.get<{ n: number }>('SELECT count(*) AS n FROM webhooks WHERE org_id = ?', [orgId]);
  return Number(row?.n ?? 0);
}

/**
 * Deletes a webhook; its pending deliveries, and digest members still waiting for their
 * period, are cancelled; its history stays until retention. Rows are taken in the order a
 * worker's completion takes them (pending-work rows, deliveries, then the webhook's row for its
 * stats), so the two cannot deadlock on PostgreSQL: deleting the webhook first, then waiting for
 * a pending-work row a completion held while it waited for the webhook's row, made PostgreSQL
 * abort one of them (the API answered 500).
 */
export async function deleteWebhook(db: SqlExecutor, orgId: string, id: string, now: number): Promise<boolean> {
  const found = await db.get<{ id: string }>('SELECT id FROM webhooks WHERE org_id = ? AND id = ?', [orgId, id]);
  if (found === undefined) return false;
  // A worker's result for one of these waits, then finds its row gone (fenced).
  const pending = await db.all<{ delivery_id: string }>(`DELETE FROM delivery_queue WHERE ${OF_WEBHOOK} RETURNING delivery_id`, [id]);
  for (const ids of chunks(pending.map((p) => p.delivery_id), 1000)) {
    await db.run(`UPDATE deliveries SET status = 'cancelled', updated_at = ? WHERE id IN (${placeholders(ids.length)})`, [now, ...ids]);
  }
  await db.run(`UPDATE deliveries SET status = 'cancelled', digest_waiting = 0, updated_at = ? WHERE webhook_id = ? AND digest_waiting = 1`, [now, id]);
  return (await db.run('DELETE FROM webhooks WHERE org_id = ? AND id = ?', [orgId, id])) > 0;
}

type KeyRow = Omit<WebhookKey, 'public_view'> & { public_view: string };
const toKey = (r: KeyRow): WebhookKey => ({ ...r, public_view: json<Record<string, string>>(r.public_view, {}) });

export async function insertKey(db: SqlExecutor, k: WebhookKey): Promise<void> {
  await db.run('INSERT INTO webhook_keys (id, webhook_id, sealed, public_view, created_at) VALUES (?, ?, ?, ?, ?)', [
    k.id, k.webhook_id, k.sealed, JSON.stringify(k.public_view), k.created_at,
  ]);
}

/** Keys oldest first: the first is the one "in use". */
export async function listKeys(db: SqlExecutor, webhookIds: readonly string[]): Promise<WebhookKey[]> {
  if (webhookIds.length === 0) return [];
  const rows = await db.all<KeyRow>(
    `SELECT * FROM webhook_keys WHERE webhook_id IN (${placeholders(webhookIds.length)}) ORDER BY created_at, id`,
    webhookIds,
  );
  return rows.map(toKey);
}

export async function deleteKey(db: SqlExecutor, webhookId: string, keyId: string): Promise<boolean> {
  return (await db.run('DELETE FROM webhook_keys WHERE webhook_id = ? AND id = ?', [webhookId, keyId])) > 0;
}
