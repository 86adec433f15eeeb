import type { App, Org, OrgSettings } from '../../model.js';
import type { SqlExecutor } from '../sql.js';
import { json } from './rows.js';

type OrgRow = Omit<Org, 'settings'> & { settings: string };

const toOrg = (r: OrgRow): Org => ({ ...r, settings: json<OrgSettings>(r.settings, {}) });

export async function insertOrg(db: SqlExecutor, org: Org): Promise<void> {
  await db.run('INSERT INTO orgs (id, name, owner_email, settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)', [
    org.id, org.name, org.owner_email, JSON.stringify(org.settings), org.created_at, org.updated_at,
  ]);
}

export async function getOrg(db: SqlExecutor, id: string): Promise<Org | undefined> {
  const row = await db.get<OrgRow>('SELECT * FROM orgs WHERE id = ?', [id]);
  return row && toOrg(row);
}

export async function listOrgs(db: SqlExecutor, limit: number, after: string | null): Promise<Org[]> {
  const rows = await db.all<OrgRow>('SELECT * FROM orgs WHERE id > ? ORDER BY id LIMIT ?', [after ?? '', limit]);
  return rows.map(toOrg);
}

export async function updateOrg(db: SqlExecutor, org: Org): Promise<void> {
  await db.run('UPDATE orgs SET name = ?, owner_email = ?, settings = ?, updated_at = ? WHERE id = ?', [
    org.name, org.owner_email, JSON.stringify(org.settings), org.updated_at, org.id,
  ]);
}

export async function insertApp(db: SqlExecutor, app: App): Promise<void> {
  await db.run('INSERT INTO apps (org_id, id, name, created_at) VALUES (?, ?, ?, ?)', [app.org_id, app.id, app.name, app.created_at]);
}

/** Apps by id, after `after` (exclusive), at most `limit`. */
export async function listApps(db: SqlExecutor, orgId: string, limit: number, after: string | null = null): Promise<App[]> {
  return db.all<App>('SELECT org_id, id, name, created_at FROM apps WHERE org_id = ? AND id > ? ORDER BY id LIMIT ?', [orgId, after ?? '', limit]);
}

export async function getApp(db: SqlExecutor, orgId: string, id: string): Promise<App | undefined> {
  return db.get<App>('SELECT org_id, id, name, created_at FROM apps WHERE org_id = ? AND id = ?', [orgId, id]);
}
