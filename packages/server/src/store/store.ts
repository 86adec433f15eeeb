import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrate } from './migrate.js';
import { InProcessNotifier, PostgresNotifier } from './notifier.js';
import { PostgresDatabase } from './postgres/database.js';
import { PostgresHotPath } from './postgres/hot-path.js';
import type { Dialect, SqlDatabase } from './sql.js';
import { lockDataDir } from './sqlite/data-dir-lock.js';
import { SqliteDatabase } from './sqlite/database.js';
import { SqliteHotPath } from './sqlite/hot-path.js';
import type { HotPath, WorkNotifier } from './types.js';

/** Everything Herald keeps, behind one narrow seam: shared SQL, a batched hot path, a waker. */
export interface Store {
  readonly dialect: Dialect;
  readonly db: SqlDatabase;
  /** The batched hot path (ingest, claim, complete): used by the engine, on the thread that owns it. */
  readonly hot: HotPath;
  readonly notifier: WorkNotifier;
  /**
   * SQLite: gives back every lease a killed predecessor held (the file has one user: the data
   * directory is locked to one process), so its deliveries are due again at once. Answers how
   * many. PostgreSQL: nothing (another process's leases expire by themselves).
   */
  releaseOrphanedLeases(now: number): Promise<number>;
  close(): Promise<void>;
}

export interface StoreOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  /** Called when the LISTEN connection fails (it reconnects by itself). */
  onBackgroundError?: (err: unknown) => void;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
  /**
   * PostgreSQL: LISTEN for other processes' work (default true). A thread that runs no engine
   * (the API thread beside the engine thread) only announces work and needs no LISTEN connection.
   */
  listen?: boolean;
  /**
   * SQLite: take the data directory's lock (default true), so that a second Herald refuses to
   * start there. False for the engine thread, whose process's main thread already holds it.
   */
  lock?: boolean;
}

/** Opens the store named by the configuration and applies pending migrations. */
export async function openStore(opts: StoreOptions): Promise<Store> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts);
  mkdirSync(opts.dataDir, { recursive: true });
  // One Herald per data directory: a second would give back the first one's live leases.
  const dirLock = opts.lock === false ? null : lockDataDir(opts.dataDir);
  // The hot path's connection gets the larger page cache: claims and results walk its indexes.
  const db = new SqliteDatabase(join(opts.dataDir, 'herald.sqlite'), 16);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    dirLock?.release();
    throw err;
  }
  // Prepared on first use: the API thread's store never runs the hot path.
  let hot: SqliteHotPath | null = null;
  const hotPath = () => (hot ??= new SqliteHotPath(db));
  const notifier = new InProcessNotifier();
  return {
    dialect: 'sqlite',
    db,
    get hot() {
      return hotPath();
    },
    notifier,
    releaseOrphanedLeases: async (now) => {
      await db.idle();
      return hotPath().releaseAll(now);
    },
    close: async () => {
      await notifier.close();
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
  if (opts.listen !== false) await notifier.start();
  const hot = new PostgresHotPath(db);
  return {
    dialect: 'postgres',
    db,
    hot,
    notifier,
    releaseOrphanedLeases: async () => 0,
    close: async () => {
      await notifier.close();
      await db.close();
    },
  };
}
