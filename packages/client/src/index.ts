/**
 * @herald/client: Herald's HTTP API, typed from its own OpenAPI document.
 * The types in ./generated are written at build time by openapi-typescript from the document
 * the server answers at /openapi.json; openapi-fetch is the runtime: each call names a
 * documented path and method, and its params, body and answer are typed by the document.
 */
import createFetchClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './generated/openapi.js';

export type { components, operations, paths };
/** Every named schema of the API: `Schemas['WebhookWithRecent']`, `Schemas['DeliveryList']`, `Schemas['Error']`, … */
export type Schemas = components['schemas'];
/** Herald's error body: `{error: {code, message, details?}}` (codes in docs/errors.md). */
export type ApiError = Schemas['Error'];
export type HeraldClient = Client<paths>;

export interface HeraldClientOptions {
  /** Where Herald listens, e.g. http://127.0.0.1:8080 (paths start with /api/v1). */
  baseUrl: string;
  /** An API key (hk_…) or a portal token (hpt_…), sent as a Bearer token. */
  apiKey: string;
  /** Another fetch (tests, proxies); default the global one. */
  fetch?: ClientOptions['fetch'];
  /** Headers sent with every request, e.g. x-request-id. */
  headers?: Record<string, string>;
}

/** A typed client: `client.GET('/api/v1/orgs/{org}', { params: { path: { org } } })` answers `{ data, error, response }`. */
export function createHeraldClient(opts: HeraldClientOptions): HeraldClient {
  return createFetchClient<paths>({
    baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    headers: { ...opts.headers, authorization: `Bearer ${opts.apiKey}` },
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
}

export type { Middleware };

/** One page as every list answers it (docs/api.md#pagination). */
export interface ListPage<T> {
  data: T[];
  next_cursor: string | null;
}

/**
 * Every item of a list, page after page, following `next_cursor` until it is null:
 *
 * ```ts
 * for await (const w of paginate((cursor) => herald.GET('/api/v1/orgs/{org}/webhooks', { params: { path: { org }, query: { cursor, limit: 250 } } }))) …
 * ```
 * An error answer is thrown as it came (`{error: {code, message}}`). `maxPages` bounds the walk.
 */
export async function* paginate<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ data?: ListPage<T>; error?: unknown }>,
  maxPages = 10_000,
): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  for (let n = 0; n < maxPages; n++) {
    const { data, error } = await fetchPage(cursor);
    if (data === undefined) throw error ?? new Error('Herald answered no page');
    yield* data.data;
    if (data.next_cursor === null) return;
    cursor = data.next_cursor;
  }
}
