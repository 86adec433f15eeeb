import type { ApiKey, ApiScope } from '../../model.js';
import type { SqlExecutor } from '../sql.js';
import { json } from './rows.js';

type Row = Omit<ApiKey, 'scopes'> & { scopes: string; hash: string };

const toKey = (r: Row): ApiKey => ({
  id: r.id,
  name: r.name,
  scopes: json<ApiScope[]>(r.scopes, []),
  org_id: r.org_id,
  email: r.email ?? null,
  created_at: r.created_at,
  revoked_at: r.revoked_at,
});

export async function insertApiKey(db: SqlExecutor, key: ApiKey, hash: string): Promise<void> {
  await db.run('INSERT INTO api_keys (id, name, hash, scopes, org_id, email, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    key.id, key.name, hash, JSON.stringify(key.scopes), key.org_id, key.email, key.created_at,
  ]);
}

/** Stores the bootstrap admin key's hash (HERALD_ADMIN_KEY); idempotent across restarts. */
export async function ensureApiKey(db: SqlExecutor, key: ApiKey, hash: string): Promise<void> {
  await db.run(
    `INSERT INTO api_keys (id, name, hash, scopes, org_id, created_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (hash) DO UPDATE SET scopes = excluded.scopes, revoked_at = NULL`,
    [key.id, key.name, hash, JSON.stringify(key.scopes), key.org_id, key.created_at],
  );
}

export async function findApiKeyByHash(db: SqlExecutor, hash: string): Promise<ApiKey | undefined> {
  const row = await db.get<Row>('SELECT * FROM api_keys WHERE hash = ? AND revoked_at IS NULL', [hash]);
  return row && toKey(row);
}

export async function countAdminKeys(db: SqlExecutor): Promise<number> {
  const row = await db.get<{ n: number }>('SELECT count(*) AS n FROM api_keys WHERE org_id IS NULL AND revoked_at IS NULL');
  return Number(row?.n ?? 0);
}

/** Keys not revoked, by id after `after` (exclusive), at most `limit`; only one org's when orgId is set. */
export async function listApiKeys(db: SqlExecutor, orgId: string | null, limit: number, after: string | null = null): Promise<ApiKey[]> {
  const rows = orgId === null
    ? await db.all<Row>('SELECT * FROM api_keys WHERE revoked_at IS NULL AND id > ? ORDER BY id LIMIT ?', [after ?? '', limit])
    : await db.all<Row>('SELECT * FROM api_keys WHERE revoked_at IS NULL AND org_id = ? AND id > ? ORDER BY id LIMIT ?', [orgId, after ?? '', limit]);
  return rows.map(toKey);
}

export async function getApiKey(db: SqlExecutor, id: string): Promise<ApiKey | undefined> {
  const row = await db.get<Row>('SELECT * FROM api_keys WHERE id = ? AND revoked_at IS NULL', [id]);
  return row && toKey(row);
}

export async function revokeApiKey(db: SqlExecutor, id: string, now: number): Promise<boolean> {
  return (await db.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [now, id])) > 0;
}
