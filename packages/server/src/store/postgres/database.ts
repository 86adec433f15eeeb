import pg from 'pg';
import { numberPlaceholders, type SqlDatabase, type SqlExecutor } from '../sql.js';

// BIGINT (int8) holds millisecond times and counters, all far below 2^53: parse as numbers.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

const numbered = new Map<string, string>();
function toPg(sql: string): string {
  let out = numbered.get(sql);
  if (out === undefined) {
    out = numberPlaceholders(sql);
    numbered.set(sql, out);
  }
  return out;
}

function executor(q: pg.Pool | pg.PoolClient): SqlExecutor {
  // Without parameters the simple protocol runs, which also accepts several statements (migrations).
  const query = (sql: string, params: readonly unknown[]) =>
    params.length === 0 ? q.query(sql) : q.query(toPg(sql), params as unknown[]);
  return {
    dialect: 'postgres',
    all: async <T>(sql: string, params: readonly unknown[] = []) => (await query(sql, params)).rows as T[],
    get: async <T>(sql: string, params: readonly unknown[] = []) => (await query(sql, params)).rows[0] as T | undefined,
    run: async (sql: string, params: readonly unknown[] = []) => (await query(sql, params)).rowCount ?? 0,
  };
}

export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly direct: SqlExecutor;

  constructor(readonly url: string, poolSize = 10) {
    this.pool = new pg.Pool({ connectionString: url, max: poolSize, types });
    // An idle client that loses its server must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
    this.direct = executor(this.pool);
  }

  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.direct.all<T>(sql, params);
  }

  get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined> {
    return this.direct.get<T>(sql, params);
  }

  run(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.direct.run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(executor(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** A dedicated client for LISTEN. */
  async listenClient(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url, types });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
