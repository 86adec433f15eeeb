import { Type } from '@sinclair/typebox';
import { HeraldError } from '../errors.js';

/**
 * The one pagination convention of every list (docs/api.md#pagination): `?limit=&cursor=`,
 * answered as `{data, next_cursor}`; `next_cursor` is null on the last page and is never
 * handed out for a page that would be empty. Routes fetch `limit + 1` rows: the extra row
 * only says whether another page exists, and is not shown.
 */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 250;

const Limit = Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: `page size, 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT})` });
const CursorParam = Type.String({ minLength: 1, maxLength: 200, description: 'the next_cursor of the previous page, as it was answered' });

/** `limit` and `cursor`: spread into a list's query schema. */
export const pageProps = { limit: Type.Optional(Limit), cursor: Type.Optional(CursorParam) };

const deprecatedCursor = () =>
  Type.Optional(Type.String({ minLength: 1, maxLength: 200, deprecated: true, description: 'deprecated alias of cursor, accepted for one release' }));
/** The older name of `cursor` on lists in ascending order (orgs, webhooks). */
export const afterAlias = { after: deprecatedCursor() };
/** The older name of `cursor` on lists newest first (deliveries). */
export const beforeAlias = { before: deprecatedCursor() };

export const PageQuery = Type.Object(pageProps);

export interface PageRequest {
  limit: number;
  /** null: the first page. */
  cursor: string | null;
}

/** Reads `limit` and `cursor` (or its deprecated alias) from a validated query. */
export function pageRequest(query: { limit?: number; cursor?: string; after?: string; before?: string }): PageRequest {
  const alias = query.after ?? query.before;
  if (query.cursor !== undefined && alias !== undefined) {
    throw new HeraldError('HERALD_BAD_REQUEST', ['send cursor, or its deprecated alias (after, before), not both']);
  }
  return { limit: query.limit ?? DEFAULT_LIMIT, cursor: query.cursor ?? alias ?? null };
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** A page from rows fetched with `limit + 1`: a cursor only when a further row exists. */
export function pageOf<T>(rows: readonly T[], limit: number, key: (row: T) => string): Page<T> {
  if (rows.length <= limit) return { data: [...rows], next_cursor: null };
  const data = rows.slice(0, limit);
  return { data, next_cursor: key(data.at(-1)!) };
}

/**
 * A page of a list held in memory in a fixed order (a webhook's keys, the presets): the
 * cursor names the last item shown; one that names no item is refused.
 */
export function pageOfList<T>(items: readonly T[], page: PageRequest, key: (item: T) => string): Page<T> {
  let start = 0;
  if (page.cursor !== null) {
    const at = items.findIndex((i) => key(i) === page.cursor);
    if (at < 0) throw new HeraldError('HERALD_BAD_REQUEST', [`cursor ${page.cursor} names nothing in this list`]);
    start = at + 1;
  }
  return pageOf(items.slice(start, start + page.limit + 1), page.limit, key);
}

/** Maps a page's rows to their views, keeping its cursor. */
export const mapPage = <T, U>(p: Page<T>, f: (row: T) => U): Page<U> => ({ data: p.data.map(f), next_cursor: p.next_cursor });
