/**
 * Event catalogues: files that describe a set of event types (name, kind, description, JSON
 * Schema of the entity, example entity). Herald ships some in packages/server/catalogues/;
 * operators can write their own. The format is documented in docs/catalogue.md.
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { EventName } from '../api/schemas.js';
import { compileStrict } from '../api/validation.js';

/** One event type as a catalogue file (or the import API) gives it. */
export const CatalogueEventType = Type.Object(
  {
    name: EventName,
    kind: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('data')], { description: 'admin (default): org-wide; data: events carry an app_id' })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    schema: Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()], { description: 'JSON Schema (draft-07) of the entity' })),
    example: Type.Optional(Type.Unknown({ description: 'an example entity' })),
    deprecated: Type.Optional(Type.Boolean()),
    notes: Type.Optional(Type.String({ maxLength: 4000, description: 'free text for people: where the example comes from, what was fixed; not stored' })),
  },
  { additionalProperties: false },
);
export type CatalogueEventTypeInput = Static<typeof CatalogueEventType>;

export const MAX_CATALOGUE_TYPES = 1000;

/** A whole catalogue file. */
export const CatalogueFile = Type.Object(
  {
    catalogue: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'the catalogue name' })),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    source: Type.Optional(Type.String({ maxLength: 1000 })),
    event_types: Type.Array(CatalogueEventType, { minItems: 1, maxItems: MAX_CATALOGUE_TYPES }),
  },
  { additionalProperties: false },
);
export type Catalogue = Static<typeof CatalogueFile>;

/** One thing wrong with a catalogue, located by a JSON pointer-like path. */
export interface CatalogueProblem {
  path: string;
  message: string;
}

/** A catalogue file that cannot be read or is not in the catalogue format. */
export class CatalogueError extends Error {
  constructor(
    message: string,
    readonly problems: CatalogueProblem[] = [],
  ) {
    super(problems.length === 0 ? message : `${message}:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
    this.name = 'CatalogueError';
  }
}

let fileValidator: ValidateFunction | undefined;
let typeValidator: ValidateFunction | undefined;

function describe(errors: readonly ErrorObject[] | null | undefined, prefix: string): CatalogueProblem[] {
  return (errors ?? []).map((e) => {
    let message = e.message ?? 'invalid';
    if (e.keyword === 'additionalProperties') message = `unknown field "${String((e.params as { additionalProperty?: unknown }).additionalProperty)}"`;
    if (e.keyword === 'pattern' && e.instancePath.endsWith('/name')) message = 'must be module.action: letters, digits and _, dot-separated';
    return { path: `${prefix}${e.instancePath}` || '/', message };
  });
}

/** Problems with the names of a list of event types that a per-item schema cannot see. */
function duplicateProblems(types: readonly { name: string }[], prefix: string): CatalogueProblem[] {
  const seen = new Map<string, number>();
  const problems: CatalogueProblem[] = [];
  types.forEach((t, i) => {
    const first = seen.get(t.name);
    if (first !== undefined) problems.push({ path: `${prefix}/${i}/name`, message: `"${t.name}" is already at index ${first}` });
    else seen.set(t.name, i);
  });
  return problems;
}

/** Checks a value against the catalogue file format; answers the problems (none when valid). */
export function catalogueProblems(value: unknown): CatalogueProblem[] {
  fileValidator ??= compileStrict(CatalogueFile);
  if (!fileValidator(value)) return describe(fileValidator.errors, '');
  return duplicateProblems((value as Catalogue).event_types, '/event_types');
}

/**
 * Checks a list of event types (the import API's `event_types`): the shape of each, then (when
 * every item has the right shape) names given twice. Answers the problems, none when valid.
 */
export function eventTypeListProblems(list: readonly unknown[]): CatalogueProblem[] {
  typeValidator ??= compileStrict(CatalogueEventType);
  const problems: CatalogueProblem[] = [];
  list.forEach((item, i) => {
    if (!typeValidator!(item)) problems.push(...describe(typeValidator!.errors, `/event_types/${i}`));
  });
  if (problems.length > 0) return problems;
  return duplicateProblems(list as CatalogueEventTypeInput[], '/event_types');
}

/** True when every item of the list has the shape of an event type (names may still repeat). */
export function isEventTypeList(list: readonly unknown[]): list is readonly CatalogueEventTypeInput[] {
  typeValidator ??= compileStrict(CatalogueEventType);
  return list.every((item) => typeValidator!(item));
}

/** Parses catalogue text: JSON, or YAML when `format` is yaml (needs the `yaml` package). */
export async function parseCatalogue(text: string, format: 'json' | 'yaml', where = 'the catalogue'): Promise<Catalogue> {
  let value: unknown;
  if (format === 'yaml') {
    let yaml: typeof import('yaml');
    try {
      yaml = await import('yaml');
    } catch {
      throw new CatalogueError(`${where} is YAML, and reading YAML needs the "yaml" package, which is not installed: write the catalogue as JSON`);
    }
    try {
      value = yaml.parse(text);
    } catch (err) {
      throw new CatalogueError(`${where} is not valid YAML: ${(err as Error).message}`);
    }
  } else {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new CatalogueError(`${where} is not valid JSON: ${(err as Error).message}`);
    }
  }
  const problems = catalogueProblems(value);
  if (problems.length > 0) throw new CatalogueError(`${where} is not a valid catalogue (see docs/catalogue.md)`, problems);
  return value as Catalogue;
}

/** Reads and checks a catalogue file; `.yaml` and `.yml` files are read as YAML, others as JSON. */
export async function loadCatalogueFile(path: string): Promise<Catalogue> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new CatalogueError(code === 'ENOENT' ? `no file ${path}` : `cannot read ${path}: ${(err as Error).message}`);
  }
  const ext = extname(path).toLowerCase();
  return parseCatalogue(text, ext === '.yaml' || ext === '.yml' ? 'yaml' : 'json', path);
}

/** The folder of the catalogues shipped with Herald (packages/server/catalogues, from src/ or dist/). */
export const SHIPPED_CATALOGUES_DIR = fileURLToPath(new URL('../../catalogues/', import.meta.url));

/** Names of the shipped catalogues (`salesiq`, `smarterbot`…), sorted. */
export async function shippedCatalogueNames(): Promise<string[]> {
  const files = await readdir(SHIPPED_CATALOGUES_DIR).catch(() => [] as string[]);
  return files.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
}

/** A shipped catalogue by name; undefined when Herald ships none of that name. */
export async function loadShippedCatalogue(name: string): Promise<Catalogue | undefined> {
  // Only names found in the folder are read, so a name can never reach outside it.
  if (!(await shippedCatalogueNames()).includes(name)) return undefined;
  return loadCatalogueFile(`${SHIPPED_CATALOGUES_DIR}${name}.json`);
}
