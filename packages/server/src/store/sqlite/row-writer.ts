import type { Statement } from 'better-sqlite3';
import { PARK_FIFO_SQL } from '../queries/fifo.js';
import { insertOneSql, TABLES, values, type RowSet } from '../row-sets.js';
import { STATS_ONE_SQL, statsOneParams } from '../row-writer.js';
import type { SqliteDatabase } from './database.js';

/**
 * The row-set writer of SQLite's hot path: the same statements as row-writer.ts, prepared once
 * and run synchronously inside the hot path's better-sqlite3 transactions.
 */
export class SqliteRowWriter {
  private readonly inserts: { statement: Statement; columns: Record<string, string>; rows: (r: RowSet) => readonly Record<string, string | number | null>[] }[];
  private readonly stats: Statement;
  private readonly park: Statement;

  constructor(db: SqliteDatabase) {
    this.inserts = TABLES.map((t) => ({ statement: db.prepare(insertOneSql(t.table, t.columns)), columns: t.columns, rows: t.rows }));
    this.stats = db.prepare(STATS_ONE_SQL);
    this.park = db.prepare(PARK_FIFO_SQL);
  }

  /** Writes a row set; call inside a transaction. */
  write(rows: RowSet): void {
    for (const t of this.inserts) for (const row of t.rows(rows)) t.statement.run(values(t.columns, row));
    for (const s of rows.stats) this.stats.run(statsOneParams(s));
    for (const id of rows.parkFifo) this.park.run(id, id);
  }
}
