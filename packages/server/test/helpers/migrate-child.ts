/**
 * Runs migrate() on the store given as argument and prints the versions it applied, as JSON:
 * lets a test start two real processes that migrate one SQLite file or PostgreSQL schema at once.
 * Usage: node --import tsx migrate-child.ts <sqlite file | postgres url>
 */
import { migrate } from '../../src/store/migrate.js';
import { PostgresDatabase } from '../../src/store/postgres/database.js';
import { SqliteDatabase } from '../../src/store/sqlite/database.js';

const target = process.argv[2] ?? '';
const db = target.startsWith('postgres') ? new PostgresDatabase(target, 2) : new SqliteDatabase(target);
try {
  process.stdout.write(`${JSON.stringify(await migrate(db))}\n`);
} finally {
  await db.close();
}
