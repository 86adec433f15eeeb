import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { migrate } from '../src/store/migrate.js';
import { PostgresDatabase } from '../src/store/postgres/database.js';
import type { SqlDatabase } from '../src/store/sql.js';
import { SqliteDatabase } from '../src/store/sqlite/database.js';
import { diffSchemas, snapshotSchema, type SchemaShape } from './helpers/schema-snapshot.js';
import { freshStore, type TestStore } from './helpers/stores.js';

/**
 * Differences between the migrated SQLite and PostgreSQL schemas that are meant, with why.
 * Each must still occur (a fixed one is removed from here), so the list cannot go stale.
 */
const ACCEPTED_DIFFERENCES: Record<string, string> = {};

/**
 * PostgreSQL integer columns are BIGINT (times are milliseconds, counters grow without bound,
 * and one width everywhere keeps the pg driver's parsing uniform). The exceptions, with why.
 */
const PG_NARROW_INTEGERS: Record<string, string> = {
  'herald_migrations.version':
    'the bookkeeping table is created by the same statement on both stores; a version is six digits',
  'deliveries.fifo':
    "a 0/1 flag that 000006 declared INTEGER; it reads the same through pg (int4 parses as a number). Widening it would rewrite the deliveries table, the largest, under an ACCESS EXCLUSIVE lock at an upgrade, for no change in behaviour",
};

describe('migrations parity: SQLite and PostgreSQL end with the same schema', () => {
  const stores: TestStore[] = [];
  const dbs: SqlDatabase[] = [];
  let sqlite: SqlDatabase;
  let postgres: SqlDatabase;

  const fresh = async (kind: 'sqlite' | 'postgres') => {
    const ts = await freshStore(kind);
    stores.push(ts);
    const db = ts.databaseUrl ? new PostgresDatabase(ts.databaseUrl, 2) : new SqliteDatabase(join(ts.dataDir, 'herald.sqlite'));
    dbs.push(db);
    await migrate(db);
    return db;
  };

  before(async () => {
    sqlite = await fresh('sqlite');
    postgres = await fresh('postgres');
  });
  after(async () => {
    for (const db of dbs) await db.close();
    for (const ts of stores) await ts.cleanup();
  });

  const differences = (a: SchemaShape, b: SchemaShape) => diffSchemas(a, b, ['sqlite', 'postgres']);

  test('tables, columns (type family, nullability), primary keys, unique constraints and indexes match', async () => {
    const found = differences(await snapshotSchema(sqlite), await snapshotSchema(postgres));
    assert.deepEqual(found.filter((d) => !(d in ACCEPTED_DIFFERENCES)), [], `the dialects drifted:\n${found.join('\n')}`);
    for (const accepted of Object.keys(ACCEPTED_DIFFERENCES)) {
      assert.ok(found.includes(accepted), `"${accepted}" no longer differs: remove it from ACCEPTED_DIFFERENCES`);
    }
  });

  test('PostgreSQL integer columns are BIGINT, but for the listed exceptions', async () => {
    const narrow: string[] = [];
    for (const [table, shape] of Object.entries(await snapshotSchema(postgres))) {
      for (const [column, c] of Object.entries(shape.columns)) {
        if (c.family === 'int' && c.type !== 'bigint') narrow.push(`${table}.${column}`);
      }
    }
    assert.deepEqual(narrow.sort(), Object.keys(PG_NARROW_INTEGERS).sort());
  });

  test('the comparison fails when one dialect gains a column or an index the other lacks', async () => {
    const [extraSqlite, extraPostgres] = [await fresh('sqlite'), await fresh('postgres')];
    await extraSqlite.run('ALTER TABLE deliveries ADD COLUMN only_here TEXT');
    await extraSqlite.run('CREATE INDEX webhooks_only_here ON webhooks (url)');
    await extraPostgres.run('CREATE INDEX deliveries_only_there ON deliveries (status, id)');
    await extraPostgres.run('ALTER TABLE orgs ALTER COLUMN owner_email DROP NOT NULL');
    const found = differences(await snapshotSchema(extraSqlite), await snapshotSchema(extraPostgres));
    assert.deepEqual(found.filter((d) => !(d in ACCEPTED_DIFFERENCES)), [
      'column deliveries.only_here only in sqlite',
      'index deliveries_only_there on deliveries only in postgres',
      'column orgs.owner_email: nullable in postgres only',
      'index webhooks_only_here on webhooks only in sqlite',
    ]);
  });
});
