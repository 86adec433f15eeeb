import type { EventType } from '../../model.js';
import type { SqlExecutor } from '../sql.js';
import { flag, json } from './rows.js';

type Row = Omit<EventType, 'schema' | 'example' | 'deprecated'> & { schema: string | null; example: string | null; deprecated: number };

const toEventType = (r: Row): EventType => ({
  ...r,
  schema: json<unknown>(r.schema, null),
  example: json<unknown>(r.example, null),
  deprecated: flag(r.deprecated),
});

export async function upsertEventType(db: SqlExecutor, t: EventType, replace: boolean): Promise<void> {
  await db.run(
    `INSERT INTO event_types (name, kind, description, schema, example, deprecated, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (name) DO ${replace ? 'UPDATE SET kind = excluded.kind, description = excluded.description, schema = excluded.schema, example = excluded.example, deprecated = excluded.deprecated, updated_at = excluded.updated_at' : 'NOTHING'}`,
    [t.name, t.kind, t.description, t.schema === null ? null : JSON.stringify(t.schema),
      t.example === null ? null : JSON.stringify(t.example), t.deprecated ? 1 : 0, t.created_at, t.updated_at],
  );
}

export async function getEventType(db: SqlExecutor, name: string): Promise<EventType | undefined> {
  const row = await db.get<Row>('SELECT * FROM event_types WHERE name = ?', [name]);
  return row && toEventType(row);
}

/** Event types by name after `after` (exclusive), at most `limit`. */
export async function listEventTypes(db: SqlExecutor, limit: number, after: string | null = null): Promise<EventType[]> {
  return (await db.all<Row>('SELECT * FROM event_types WHERE name > ? ORDER BY name LIMIT ?', [after ?? '', limit])).map(toEventType);
}
