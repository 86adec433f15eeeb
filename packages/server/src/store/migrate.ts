import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqlDatabase } from './sql.js';

const MIGRATIONS_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

interface Migration {
  version: number;
  name: string;
  sql: string;
}

function loadMigrations(dialect: string): Migration[] {
  const dir = join(MIGRATIONS_ROOT, dialect);
  return readdirSync(dir)
    .filter((f) => /^\d{6}_.+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 6)), name: f, sql: readFileSync(join(dir, f), 'utf8') }));
}

/** The store was migrated by a newer Herald: this code does not know its schema. */
export class SchemaTooNewError extends Error {
  readonly code = 'HERALD_SCHEMA_TOO_NEW';

  constructor(readonly unknownVersions: number[]) {
    super(
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
 * Applies the numbered plain-SQL migrations of the store's dialect, each in its own
 * transaction. Safe when two processes start at once: PostgreSQL takes an advisory lock,
 * SQLite's BEGIN IMMEDIATE makes the second writer wait.
 */
export async function migrate(db: SqlDatabase): Promise<number[]> {
  const migrations = loadMigrations(db.dialect);
  const applied: number[] = [];
  await db.transaction(async (tx) => {
    if (db.dialect === 'postgres') await tx.run('SELECT pg_advisory_xact_lock(7240611)');
    await tx.run(
      'CREATE TABLE IF NOT EXISTS herald_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
    );
    const done = new Set(
      (await tx.all<{ version: number }>('SELECT version FROM herald_migrations')).map((r) => Number(r.version)),
    );
    const unknown = unknownSchemaVersions(db.dialect, done);
    if (unknown.length > 0) throw new SchemaTooNewError(unknown);
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      if (db.dialect === 'postgres') {
        await tx.run(m.sql);
      } else {
        for (const statement of splitStatements(m.sql)) await tx.run(statement);
      }
      await tx.run('INSERT INTO herald_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        m.version,
        m.name,
        Date.now(),
      ]);
      applied.push(m.version);
    }
  });
  return applied;
}

/** Splits a migration file into statements (our migrations hold no semicolons inside literals). */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}
