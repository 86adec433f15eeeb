import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { migrate } from './migrate.js';
import { InProcessNotifier, PostgresNotifier } from './notifier.js';
import { PostgresDatabase } from './postgres/database.js';
import { PostgresHotPath } from './postgres/hot-path.js';
import type { Dialect, SqlDatabase } from './sql.js';
import { lockDataDir } from './sqlite/data-dir-lock.js';
import { SqliteDatabase } from './sqlite/database.js';
import { SqliteHotPath } from './sqlite/hot-path.js';
import { PortHotPath, ThreadedSqliteHotPath } from './sqlite/hot-path-thread.js';
import type { HotPath, WorkNotifier } from './types.js';

/** Everything Herald keeps, behind one narrow seam: shared SQL, a batched hot path, a waker. */
export interface Store {
  readonly dialect: Dialect;
  readonly db: SqlDatabase;
  readonly hot: HotPath;
  readonly notifier: WorkNotifier;
  /**
   * SQLite with a store thread: a port to that thread, to hand to another thread of this process
   * (StoreOptions.sqliteHotPathPort), so that every hot-path write stays on one connection.
   * Null where another thread can simply open its own store (PostgreSQL) or there is no store thread.
   */
  shareHotPath(): MessagePort | null;
  close(): Promise<void>;
}

export interface StoreOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  /** Called when the LISTEN connection fails (it reconnects by itself). */
  onBackgroundError?: (err: unknown) => void;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
  /** SQLite: run the hot path on a store thread with its own connection (default true). */
  sqliteThread?: boolean;
  /** Called if the store can no longer work (the SQLite store thread died). */
  onFatal?: (err: Error) => void;
  /**
   * SQLite, in a thread of a process whose store is already open (migrated, leases released):
   * use that process's store thread through this port (Store.shareHotPath) beside a connection
   * of this thread's own for everything else.
   */
  sqliteHotPathPort?: MessagePort;
}

/** Opens the store named by the configuration and applies pending migrations (not when attached to another thread's store thread). */
export async function openStore(opts: StoreOptions): Promise<Store> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts);
  mkdirSync(opts.dataDir, { recursive: true });
  // One Herald per data directory (a thread attaching to this process's store is that Herald).
  const dirLock = opts.sqliteHotPathPort ? null : lockDataDir(opts.dataDir);
  const db = new SqliteDatabase(join(opts.dataDir, 'herald.sqlite'));
  let hot: HotPath;
  let threaded: ThreadedSqliteHotPath | PortHotPath | null = null;
  if (opts.sqliteHotPathPort) {
    hot = threaded = new PortHotPath(opts.sqliteHotPathPort, opts.onFatal);
  } else {
    await migrate(db).catch(async (err: unknown) => {
      await db.close();
      dirLock?.release();
      throw err;
    });
    const local = new SqliteHotPath(db);
    // The SQLite file has one user: leases left by a killed predecessor are released at once.
    local.releaseAll(Date.now());
    threaded = opts.sqliteThread === false ? null : await ThreadedSqliteHotPath.start(db.file, opts.onFatal);
    hot = threaded ?? local;
  }
  const notifier = new InProcessNotifier();
  return {
    dialect: 'sqlite',
    db,
    hot,
    notifier,
    shareHotPath: () => (threaded instanceof ThreadedSqliteHotPath ? threaded.connect() : null),
    close: async () => {
      await notifier.close();
      await threaded?.close();
      await db.close();
      dirLock?.release();
    },
  };
}

async function openPostgres(url: string, opts: StoreOptions): Promise<Store> {
  const db = new PostgresDatabase(url, opts.poolSize ?? 10);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  // Channel per schema: several Herald installations (or test schemas) can share a database.
  const schema = (await db.get<{ s: string }>('SELECT current_schema() AS s'))?.s ?? 'public';
  const channel = `herald_work_${schema}`.replace(/[^a-zA-Z0-9_]/g, '_').slice(0, 63);
  const notifier = new PostgresNotifier(
    () => db.listenClient(),
    channel,
    (ch) => db.run('SELECT pg_notify(?, ?)', [ch, '']),
    opts.onBackgroundError,
  );
  await notifier.start();
  const hot = new PostgresHotPath(db);
  return {
    dialect: 'postgres',
    db,
    hot,
    notifier,
    shareHotPath: () => null,
    close: async () => {
      await notifier.close();
      await db.close();
    },
  };
}
