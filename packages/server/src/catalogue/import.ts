/**
 * Imports a list of event types into the store: all of them in one transaction, or none.
 */
import { schemaSafetyProblems } from '../api/schema-safety.js';
import { compileStrict } from '../api/validation.js';
import { HeraldError } from '../errors.js';
import type { EventType } from '../model.js';
import { getEventType, upsertEventType } from '../store/queries/event-types.js';
import type { SqlDatabase } from '../store/sql.js';
import { eventTypeListProblems, isEventTypeList, type CatalogueEventTypeInput, type CatalogueProblem } from './load.js';

export interface ImportOptions {
  /** Overwrite stored types that differ from the imported ones (default false: keep them). */
  replace?: boolean;
  /** The time written as created_at / updated_at (default now). */
  now?: number;
}

/** Names of the imported types, by what happened to each. */
export interface ImportResult {
  /** New types. */
  created: string[];
  /** Stored types that differed and were overwritten (replace: true). */
  updated: string[];
  /** Stored types identical to the imported ones. */
  unchanged: string[];
  /** Stored types that differ from the imported ones and were kept (replace: false). */
  skipped: string[];
}

/** The stored shape of an imported type (notes are for people and are not stored). */
function toEventType(t: CatalogueEventTypeInput, now: number): EventType {
  return {
    name: t.name,
    kind: t.kind ?? 'admin',
    description: t.description ?? '',
    schema: t.schema ?? null,
    example: t.example === undefined ? null : t.example,
    deprecated: t.deprecated ?? false,
    created_at: now,
    updated_at: now,
  };
}

function sameContent(a: EventType, b: EventType): boolean {
  return (
    a.kind === b.kind &&
    a.description === b.description &&
    a.deprecated === b.deprecated &&
    JSON.stringify(a.schema) === JSON.stringify(b.schema) &&
    JSON.stringify(a.example) === JSON.stringify(b.example)
  );
}

/** Every problem of the list: shape, duplicate names, schemas that do not compile. */
export function importProblems(types: readonly unknown[]): CatalogueProblem[] {
  const problems = eventTypeListProblems(types);
  // Schemas can be compiled only when every item has the right shape.
  if (!isEventTypeList(types)) return problems;
  types.forEach((t, i) => {
    if (t.schema === null || t.schema === undefined) return;
    const unsafe = schemaSafetyProblems(t.schema);
    for (const u of unsafe) problems.push({ path: `/event_types/${i}/schema${u.path === '/' ? '' : u.path}`, message: u.message });
    if (unsafe.length > 0) return;
    try {
      compileStrict(t.schema);
    } catch (err) {
      problems.push({ path: `/event_types/${i}/schema`, message: `not a valid JSON Schema: ${(err as Error).message}` });
    }
  });
  return problems.sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
}

/**
 * Creates or updates the given event types in one transaction. Throws HERALD_CATALOGUE_INVALID
 * (changing nothing) when any type is malformed, named twice, or has a schema that does not
 * compile. Callers holding an EventTypeCache must forget() it afterwards.
 */
export async function importEventTypes(db: SqlDatabase, types: readonly unknown[], opts: ImportOptions = {}): Promise<ImportResult> {
  const problems = importProblems(types);
  if (problems.length > 0) {
    const first = problems[0]!;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    throw new HeraldError('HERALD_CATALOGUE_INVALID', [`${first.path}: ${first.message}${more}`], { problems });
  }
  const now = opts.now ?? Date.now();
  const replace = opts.replace ?? false;
  const wanted = (types as readonly CatalogueEventTypeInput[]).map((t) => toEventType(t, now));
  return db.transaction(async (tx) => {
    const result: ImportResult = { created: [], updated: [], unchanged: [], skipped: [] };
    for (const t of wanted) {
      const stored = await getEventType(tx, t.name);
      if (!stored) {
        await upsertEventType(tx, t, false);
        result.created.push(t.name);
      } else if (sameContent(stored, t)) {
        result.unchanged.push(t.name);
      } else if (replace) {
        await upsertEventType(tx, t, true);
        result.updated.push(t.name);
      } else {
        result.skipped.push(t.name);
      }
    }
    return result;
  });
}
