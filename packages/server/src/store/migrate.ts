import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqlDatabase, SqlExecutor } from './sql.js';
import { StoreStartError } from './start-errors.js';

const MIGRATIONS_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

/** Any number: it only has to differ from the other advisory locks taken on the database. */
const PG_MIGRATION_LOCK = 7240611;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** sha256 (hex) of the file's text, line endings normalised so a CRLF checkout matches. */
  checksum: string;
}

export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

export function loadMigrations(dialect: string): Migration[] {
  const dir = join(MIGRATIONS_ROOT, dialect);
  return readdirSync(dir)
    .filter((f) => /^\d{6}_.+\.sql$/.test(f))
    .sort()
    .map((f) => {
      const sql = readFileSync(join(dir, f), 'utf8');
      return { version: Number(f.slice(0, 6)), name: f, sql, checksum: migrationChecksum(sql) };
    });
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string | null;
}

/** The store was migrated by a newer Herald: this code does not know its schema. */
export class SchemaTooNewError extends StoreStartError {
  constructor(readonly unknownVersions: number[]) {
    super(
      'HERALD_SCHEMA_TOO_NEW',
      `the database schema is newer than this Herald: it holds migration${unknownVersions.length > 1 ? 's' : ''} ${unknownVersions.join(', ')}, ` +
        'which this version does not know. Run the Herald version that migrated it (or a newer one); this one refuses to start rather than misread the data.',
    );
  }
}

/** The migration versions this code ships for a dialect. */
export function knownSchemaVersions(dialect: string): number[] {
  return loadMigrations(dialect).map((m) => m.version);
}

/** Versions recorded in herald_migrations that this code has no migration file for. */
export function unknownSchemaVersions(dialect: string, applied: Iterable<number>): number[] {
  const known = new Set(knownSchemaVersions(dialect));
  return [...applied].filter((v) => !known.has(v)).sort((a, b) => a - b);
}

/**
 * Applies the numbered plain-SQL migrations of the store's dialect, each file in its own
 * transaction, so a failing file leaves the ones before it applied and itself not at all.
 * Safe when two processes start at once: on PostgreSQL each transaction first takes an
 * advisory lock, on SQLite BEGIN IMMEDIATE makes the second writer wait; either way the
 * transaction then looks again whether the file was applied meanwhile.
 * Refuses to start (HERALD_MIGRATION_CHANGED) when an applied file no longer matches the
 * shipped one: the schema would not be what this version's queries expect.
 * `migrations` defaults to the shipped files (tests pass their own).
 */
export async function migrate(db: SqlDatabase, migrations: readonly Migration[] = loadMigrations(db.dialect)): Promise<number[]> {
  await db.transaction(async (tx) => {
    await lockMigrations(db, tx);
    await bootstrap(db, tx);
    // A newer Herald migrated this store: this code would misread what it does not know.
    const known = new Set(migrations.map((m) => m.version));
    const recorded = (await tx.all<{ version: number }>('SELECT version FROM herald_migrations')).map((r) => Number(r.version));
    const unknown = recorded.filter((v) => !known.has(v)).sort((a, b) => a - b);
    if (unknown.length > 0) throw new SchemaTooNewError(unknown);
  });
  const applied: number[] = [];
  for (const m of migrations) {
    const didApply = await db.transaction(async (tx) => {
      await lockMigrations(db, tx);
      const row = await tx.get<AppliedRow>('SELECT version, name, checksum FROM herald_migrations WHERE version = ?', [m.version]);
      if (row) {
        await checkApplied(tx, m, row);
        return false;
      }
      if (db.dialect === 'postgres') {
        await tx.run(m.sql);
      } else {
        for (const statement of splitStatements(m.sql)) await tx.run(statement);
      }
      await tx.run('INSERT INTO herald_migrations (version, name, applied_at, checksum) VALUES (?, ?, ?, ?)', [
        m.version,
        m.name,
        Date.now(),
        m.checksum,
      ]);
      return true;
    });
    if (didApply) applied.push(m.version);
  }
  return applied;
}

async function lockMigrations(db: SqlDatabase, tx: SqlExecutor): Promise<void> {
  // SQLite needs nothing more: the transaction began with BEGIN IMMEDIATE, the write lock.
  if (db.dialect === 'postgres') await tx.run(`SELECT pg_advisory_xact_lock(${PG_MIGRATION_LOCK})`);
}

/** The bookkeeping table; installs from before checksums get the column, filled at the next check. */
async function bootstrap(db: SqlDatabase, tx: SqlExecutor): Promise<void> {
  await tx.run(
    'CREATE TABLE IF NOT EXISTS herald_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL, checksum TEXT)',
  );
  if (db.dialect === 'postgres') {
    await tx.run('ALTER TABLE herald_migrations ADD COLUMN IF NOT EXISTS checksum TEXT');
    return;
  }
  const columns = await tx.all<{ name: string }>('PRAGMA table_info(herald_migrations)');
  if (!columns.some((c) => c.name === 'checksum')) await tx.run('ALTER TABLE herald_migrations ADD COLUMN checksum TEXT');
}

async function checkApplied(tx: SqlExecutor, m: Migration, row: AppliedRow): Promise<void> {
  if (row.checksum === null) {
    // Applied before checksums were kept: record the shipped file's, to compare from now on.
    await tx.run('UPDATE herald_migrations SET checksum = ? WHERE version = ? AND checksum IS NULL', [m.checksum, m.version]);
    return;
  }
  if (row.checksum !== m.checksum) {
    throw new StoreStartError(
      'HERALD_MIGRATION_CHANGED',
      `migration ${m.name} differs from the one applied to this database (sha256 ${row.checksum.slice(0, 12)}… recorded, ${m.checksum.slice(0, 12)}… shipped): restore the shipped file or add a new migration instead of editing an applied one`,
    );
  }
}

/** Splits a migration file into statements (our migrations hold no semicolons inside literals). */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}
