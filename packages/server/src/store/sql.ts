/**
 * The storage seam: a tiny SQL executor that SQLite and PostgreSQL both implement.
 * Shared queries use `?` placeholders; the PostgreSQL adapter numbers them.
 * Hot paths (ingest, claim, complete) are written per dialect in sqlite/ and postgres/.
 */
export type Dialect = 'sqlite' | 'postgres';

export interface SqlExecutor {
  /** Which SQL the statements are written in (row sets are executed per dialect). */
  readonly dialect: Dialect;
  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** Runs a statement; answers the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

export interface SqlDatabase extends SqlExecutor {
  /** Runs fn in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Turns `?` placeholders into `$1, $2…` (no `?` may appear inside SQL string literals). */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** True when err is a unique-constraint violation on either store. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * True when err says the store could not be reached or is briefly unable to work (connection
 * lost, server shutting down or out of resources, SQLite busy or locked), as opposed to a
 * statement the store refuses for what it holds. The first is retried as it was; the second
 * would fail again.
 */
export function isTransientStoreError(err: unknown): boolean {
  // A bug in building the statement fails the same way every time.
  if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError) return false;
  const code = (err as { code?: unknown } | null)?.code;
  // Without a code: the PostgreSQL client's own errors ("Connection terminated unexpectedly").
  if (typeof code !== 'string') return true;
  // PostgreSQL classes 08 (connection), 53 (resources), 57 (operator intervention: shutdown), 40001/40P01 (serialization, deadlock).
  if (/^(08|53|57)/.test(code) || code === '40001' || code === '40P01') return true;
  if (/^(ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)/.test(code)) return true;
  return /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|PROTOCOL)/.test(code);
}
