import { fdatasync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { SqlDatabase, SqlExecutor } from '../sql.js';

/**
 * better-sqlite3 is synchronous; this adapter gives it the async seam. An async transaction
 * holds a lock so that statements from other requests cannot slip into it between awaits.
 */
export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  readonly raw: Database.Database;
  private lock: Promise<void> = Promise.resolve();
  private locked = false;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly direct: SqlExecutor;

  private walFd: number | null = null;
  /** The connection's `synchronous` setting now: switched only when a write needs the other one. */
  private sync: 'full' | 'normal' = 'full';

  constructor(readonly file: string, cacheMb = 8) {
    this.raw = new Database(file);
    // WAL lets readers run beside the writer; FULL makes each commit durable before we
    // acknowledge it (group commit keeps that affordable). busy_timeout covers a second
    // process that opens the file for a migration check.
    // busy_timeout first: switching a new file to WAL takes a lock another process opening it
    // at the same moment (a second migrator) may hold; without it that open fails at once.
    this.raw.pragma('busy_timeout = 5000');
    this.raw.pragma('journal_mode = WAL');
    this.raw.pragma('synchronous = FULL');
    this.raw.pragma('foreign_keys = ON');
    this.raw.pragma(`cache_size = -${cacheMb * 1024}`);
    this.raw.pragma('temp_store = MEMORY');
    this.direct = {
      dialect: 'sqlite',
      all: async (sql, params = []) => this.writing(sql).all(...(params as unknown[])) as never,
      get: async (sql, params = []) => this.writing(sql).get(...(params as unknown[])) as never,
      run: async (sql, params = []) => this.writing(sql).run(...(params as unknown[])).changes,
    };
  }

  /** The statement, with the connection back to FULL first if it writes outside a transaction (which set FULL at its start). */
  private writing(sql: string): Database.Statement {
    const st = this.prepare(sql);
    if (!st.readonly && !this.raw.inTransaction) this.setSync('full');
    return st;
  }

  private setSync(mode: 'full' | 'normal'): void {
    if (this.sync === mode) return;
    // exec, not a statement prepared once: SQLite applies this pragma when it compiles it, and
    // the first run of a prepared copy changed nothing (measured), which a flag would then hide.
    this.raw.exec(`PRAGMA synchronous = ${mode === 'full' ? 'FULL' : 'NORMAL'}`);
    this.sync = mode;
  }

  /**
   * Runs fn with commits that reach the OS but are not fsynced (WAL + synchronous=NORMAL):
   * survives a process crash, not a power cut. For claims and results only, where a lost
   * commit means at worst a repeated attempt; anything acknowledged to a caller stays FULL.
   */
  relaxed<T>(fn: () => T): T {
    // Left NORMAL afterwards: the hot path runs one relaxed transaction after another, and a
    // write that must be FULL switches back first (writing(), transaction()). Two pragma
    // statements around every transaction were 1.4–2.5 % of the engine thread.
    this.setSync('normal');
    return fn();
  }

  /** The connection's `synchronous` setting now (for tests). */
  get synchronous(): 'full' | 'normal' {
    return this.sync;
  }

  /**
   * Runs fn's transaction without a blocking fsync, then makes it durable with an fsync of the
   * WAL file on libuv's thread pool. The caller acknowledges only after this resolves, so what
   * it acknowledged survives a power cut, yet the event loop keeps serving while the disk
   * syncs, and the next group commit proceeds meanwhile. (In WAL mode a commit is durable
   * once its WAL frames are synced; a checkpoint syncs the WAL before copying it.)
   */
  async durable<T>(fn: () => T): Promise<T> {
    const result = this.relaxed(fn);
    this.walFd ??= openSync(`${this.file}-wal`, 'r+');
    const fd = this.walFd;
    await new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    return result;
  }

  /** Cached prepared statement; the hot paths use these directly. */
  prepare(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.raw.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** Resolves when no async transaction is open; synchronous work may then run safely. */
  async idle(): Promise<void> {
    while (this.locked) await this.lock;
  }

  async all<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    await this.idle();
    return this.direct.all<T>(sql, params);
  }

  async get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined> {
    await this.idle();
    return this.direct.get<T>(sql, params);
  }

  async run(sql: string, params?: readonly unknown[]): Promise<number> {
    await this.idle();
    return this.direct.run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    await this.idle();
    let release!: () => void;
    this.lock = new Promise<void>((r) => (release = r));
    this.locked = true;
    this.setSync('full');
    this.raw.prepare('BEGIN IMMEDIATE').run();
    try {
      const result = await fn(this.direct);
      this.raw.prepare('COMMIT').run();
      return result;
    } catch (err) {
      if (this.raw.inTransaction) this.raw.prepare('ROLLBACK').run();
      throw err;
    } finally {
      this.locked = false;
      release();
    }
  }

  async close(): Promise<void> {
    await this.idle();
    if (this.walFd !== null) {
      const { closeSync } = await import('node:fs');
      closeSync(this.walFd);
      this.walFd = null;
    }
    this.raw.close();
  }
}
