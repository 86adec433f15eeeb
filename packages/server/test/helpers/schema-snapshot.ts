/**
 * A dialect-neutral picture of a migrated schema, for the migrations parity test: tables,
 * columns (type family and nullability), primary keys, unique constraints and named indexes.
 */
import type { SqlDatabase } from '../../src/store/sql.js';

export interface ColumnShape {
  /** int, text, or the declared type when it belongs to no family. */
  family: string;
  /** The type exactly as the dialect reports it (for dialect-internal checks). */
  type: string;
  nullable: boolean;
}

export interface IndexShape {
  columns: string[];
  unique: boolean;
  /** Has a WHERE clause (the predicates' texts differ by dialect, so only their presence is compared). */
  partial: boolean;
}

export interface TableShape {
  columns: Record<string, ColumnShape>;
  primaryKey: string[];
  /** Column lists of UNIQUE constraints, as "a,b"; the backing indexes' names are the dialect's own. */
  uniques: string[];
  /** Indexes made by CREATE INDEX, by name. */
  indexes: Record<string, IndexShape>;
}

export type SchemaShape = Record<string, TableShape>;

export function typeFamily(declared: string): string {
  const t = declared.toLowerCase().trim();
  if (/^(integer|int|bigint|smallint|int2|int4|int8)$/.test(t)) return 'int';
  if (/^(text|varchar|character varying|char|character)(\s*\(\d+\))?$/.test(t)) return 'text';
  return t;
}

export async function snapshotSchema(db: SqlDatabase): Promise<SchemaShape> {
  return db.dialect === 'postgres' ? snapshotPostgres(db) : snapshotSqlite(db);
}

async function snapshotSqlite(db: SqlDatabase): Promise<SchemaShape> {
  const shape: SchemaShape = {};
  const tables = await db.all<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  for (const { name } of tables) {
    const cols = await db.all<{ name: string; type: string; notnull: number; pk: number }>(`PRAGMA table_info(${name})`);
    const table: TableShape = { columns: {}, primaryKey: [], uniques: [], indexes: {} };
    for (const c of cols) {
      // SQLite lets a primary key that is not INTEGER hold NULL (a documented legacy quirk);
      // Herald always writes its ids, so a key column counts as NOT NULL, as on PostgreSQL.
      table.columns[c.name] = { family: typeFamily(c.type), type: c.type, nullable: c.notnull === 0 && c.pk === 0 };
    }
    table.primaryKey = cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
    const indexes = await db.all<{ name: string; unique: number; origin: string; partial: number }>(`PRAGMA index_list(${name})`);
    for (const ix of indexes) {
      if (ix.origin === 'pk') continue;
      const columns = (await db.all<{ seqno: number; name: string }>(`PRAGMA index_info(${ix.name})`))
        .sort((a, b) => a.seqno - b.seqno)
        .map((c) => c.name);
      if (ix.origin === 'u') table.uniques.push(columns.join(','));
      else table.indexes[ix.name] = { columns, unique: ix.unique === 1, partial: ix.partial === 1 };
    }
    table.uniques.sort();
    shape[name] = table;
  }
  return shape;
}

async function snapshotPostgres(db: SqlDatabase): Promise<SchemaShape> {
  const shape: SchemaShape = {};
  const tables = await db.all<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
  );
  for (const { name } of tables) shape[name] = { columns: {}, primaryKey: [], uniques: [], indexes: {} };
  const cols = await db.all<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
    'SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position',
  );
  for (const c of cols) {
    const table = shape[c.table_name];
    if (table) table.columns[c.column_name] = { family: typeFamily(c.data_type), type: c.data_type, nullable: c.is_nullable === 'YES' };
  }
  const keys = await db.all<{ table_name: string; kind: string; cols: string }>(
    `SELECT t.relname AS table_name, c.contype AS kind,
            (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS cols
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = current_schema() AND c.contype IN ('p', 'u')`,
  );
  for (const k of keys) {
    const table = shape[k.table_name];
    if (!table) continue;
    if (k.kind === 'p') table.primaryKey = k.cols.split(',');
    else table.uniques.push(k.cols);
  }
  const indexes = await db.all<{ table_name: string; index_name: string; unique: boolean; partial: boolean; cols: string }>(
    `SELECT t.relname AS table_name, i.relname AS index_name, ix.indisunique AS unique, ix.indpred IS NOT NULL AS partial,
            (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS cols
       FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid)`,
  );
  for (const ix of indexes) {
    const table = shape[ix.table_name];
    if (table) table.indexes[ix.index_name] = { columns: ix.cols.split(','), unique: ix.unique, partial: ix.partial };
  }
  for (const table of Object.values(shape)) table.uniques.sort();
  return shape;
}

/** Every difference between two schemas, one line each ("" when a and b agree). */
export function diffSchemas(a: SchemaShape, b: SchemaShape, names: [string, string]): string[] {
  const out: string[] = [];
  const [na, nb] = names;
  for (const t of union(Object.keys(a), Object.keys(b))) {
    const ta = a[t];
    const tb = b[t];
    if (!ta || !tb) {
      out.push(`table ${t} only in ${ta ? na : nb}`);
      continue;
    }
    for (const c of union(Object.keys(ta.columns), Object.keys(tb.columns))) {
      const ca = ta.columns[c];
      const cb = tb.columns[c];
      if (!ca || !cb) out.push(`column ${t}.${c} only in ${ca ? na : nb}`);
      else if (ca.family !== cb.family) out.push(`column ${t}.${c}: ${na} ${ca.type}, ${nb} ${cb.type}`);
      else if (ca.nullable !== cb.nullable) out.push(`column ${t}.${c}: nullable in ${ca.nullable ? na : nb} only`);
    }
    if (ta.primaryKey.join(',') !== tb.primaryKey.join(',')) {
      out.push(`primary key of ${t}: ${na} (${ta.primaryKey.join(',')}), ${nb} (${tb.primaryKey.join(',')})`);
    }
    if (ta.uniques.join(';') !== tb.uniques.join(';')) {
      out.push(`unique constraints of ${t}: ${na} [${ta.uniques.join('; ')}], ${nb} [${tb.uniques.join('; ')}]`);
    }
    for (const i of union(Object.keys(ta.indexes), Object.keys(tb.indexes))) {
      const ia = ta.indexes[i];
      const ib = tb.indexes[i];
      if (!ia || !ib) out.push(`index ${i} on ${t} only in ${ia ? na : nb}`);
      else if (JSON.stringify(ia) !== JSON.stringify(ib)) out.push(`index ${i} on ${t}: ${na} ${JSON.stringify(ia)}, ${nb} ${JSON.stringify(ib)}`);
    }
  }
  return out;
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}
