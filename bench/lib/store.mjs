// A fresh store per run: a temp dir for SQLite, a fresh database herald_bench_<pid> for
// PostgreSQL (created from the `test` database connection, dropped afterwards). Also the
// PostgreSQL counters the bench reads: WAL position, transactions of the bench database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { HOST, PG_ADMIN_URL, PG_PORT } from './constants.mjs';
import { onCleanup } from './children.mjs';

export async function pgAdmin(fn) {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

function dirSize(dir) {
  let total = 0;
  for (const f of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, f.name);
    if (f.isDirectory()) total += dirSize(p);
    else total += fs.statSync(p).size;
  }
  return total;
}

export async function createStore(kind) {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bench-'));
    const destroy = () => fs.rmSync(dir, { recursive: true, force: true });
    const unregister = onCleanup(async () => destroy());
    return {
      kind,
      dir,
      env: { HERALD_DATA_DIR: dir },
      sizeBytes: async () => dirSize(dir),
      destroy: async () => {
        unregister();
        destroy();
      },
    };
  }
  if (kind === 'postgres') {
    const db = `herald_bench_${process.pid}`;
    await pgAdmin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await c.query(`CREATE DATABASE ${db}`);
    });
    const drop = () => pgAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));
    const unregister = onCleanup(drop);
    return {
      kind,
      db,
      env: { HERALD_DATABASE_URL: pgUrl(db) },
      urlVia: (port) => pgUrl(db, port),
      sizeBytes: () => pgAdmin(async (c) => Number((await c.query('SELECT pg_database_size($1) AS s', [db])).rows[0].s)),
      destroy: async () => {
        unregister();
        await drop();
      },
    };
  }
  throw new Error(`unknown store ${kind}`);
}

export function pgUrl(db, port = PG_PORT) {
  return `postgres://postgres@${HOST}:${port}/${db}`;
}

/** Cluster-wide WAL insert position (bytes). Other databases' activity counts too. */
export async function walLsn() {
  return pgAdmin(async (c) => (await c.query('SELECT pg_current_wal_lsn()::text AS l')).rows[0].l);
}

export async function walBytesBetween(a, b) {
  return pgAdmin(async (c) => Number((await c.query('SELECT pg_wal_lsn_diff($2::pg_lsn, $1::pg_lsn) AS d', [a, b])).rows[0].d));
}

/** Transactions committed/rolled back in one database (pg_stat_database; flushed within ~1 s). */
export async function dbXacts(db) {
  return pgAdmin(async (c) => {
    // make sure pending stats of other backends are visible
    await c.query('SELECT pg_stat_clear_snapshot()');
    const r = await c.query('SELECT xact_commit + xact_rollback AS x, tup_inserted AS i, tup_updated AS u, tup_deleted AS d FROM pg_stat_database WHERE datname = $1', [db]);
    const row = r.rows[0] ?? {};
    return { xacts: Number(row.x ?? 0), inserted: Number(row.i ?? 0), updated: Number(row.u ?? 0), deleted: Number(row.d ?? 0) };
  });
}
