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
