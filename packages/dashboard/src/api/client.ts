import type {
  ApiKey, App, CreatedWebhook, Delivery, DeliveryDetail, DeliveryFilters, DirectResult, EventType, Org, Page, PortalAccess,
  PortalLink, Preset, RecoverResult, Webhook, WebhookInput, WebhookKey, WebhookStats, WhoAmI,
} from './types';

/** An API error as Herald answers it: `{error: {code, message, details?}}` with an HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** What the dashboard does on a 401: the credential is gone or expired. */
export type UnauthorizedHandler = (err: ApiError) => void;

const enc = encodeURIComponent;

/** The largest page the API gives, and how many of them a whole-list screen reads at most. */
const MAX_LIMIT = 250;
const MAX_PAGES = 40;

/** A resource as read with its ETag (dashboard-side: not a field of the API's answer). */
export type Tagged = { etag?: string };

function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * A typed client of the public /api/v1, the only thing the dashboard talks to: every screen
 * is also scriptable with the same calls. The credential is an API key or a portal token,
 * both sent as a Bearer token.
 */
export class HeraldClient {
  constructor(
    private readonly credential: string,
    private readonly onUnauthorized: UnauthorizedHandler = () => {},
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.send(method, path, body)).parsed as T;
  }

  /** A single resource with the ETag it was read with, kept beside it for a later If-Match. */
  private async tagged<T extends object>(method: string, path: string, body?: unknown, ifMatch?: string): Promise<T & Tagged> {
    const { parsed, etag } = await this.send(method, path, body, ifMatch ? { 'if-match': ifMatch } : {});
    return { ...(parsed as T), ...(etag ? { etag } : {}) };
  }

  /**
   * Every page of a list (docs/api.md#pagination), following next_cursor. Bounded: the screens
   * that show whole lists show at most MAX_PAGES pages of MAX_LIMIT.
   */
  private async all<T>(path: string): Promise<Page<T>> {
    const data: T[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < MAX_PAGES; i++) {
      const sep = path.includes('?') ? '&' : '?';
      const page: Page<T> = await this.request<Page<T>>('GET', `${path}${sep}limit=${MAX_LIMIT}${cursor ? `&cursor=${enc(cursor)}` : ''}`);
      data.push(...page.data);
      cursor = page.next_cursor ?? null;
      if (cursor === null) break;
    }
    return { data, next_cursor: cursor };
  }

  private async send(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<{ parsed: unknown; etag: string | null }> {
    const headers: Record<string, string> = { ...extra, authorization: `Bearer ${this.credential}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`/api/v1${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch {
      throw new ApiError(0, 'NETWORK', 'Herald did not answer: check that the server is running and reachable.');
    }
    if (res.status === 204) return { parsed: undefined, etag: null };
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!res.ok) {
      const e = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
      const err = new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? `Herald answered ${res.status}`, e?.details);
      if (res.status === 401) this.onUnauthorized(err);
      throw err;
    }
    return { parsed, etag: res.headers.get('etag') };
  }

  whoami = () => this.request<WhoAmI>('GET', '/whoami');

  listOrgs = () => this.all<Org>('/orgs');
  getOrg = (org: string) => this.request<Org>('GET', `/orgs/${enc(org)}`);
  createOrg = (body: { id: string; name: string; owner_email: string }) => this.request<Org>('POST', '/orgs', body);
  listApps = (org: string) => this.all<App>(`/orgs/${enc(org)}/apps`);

  listEventTypes = () => this.all<EventType>('/event-types');
  eventExample = (name: string) => this.request<Record<string, unknown>>('GET', `/event-types/${enc(name)}/example`);
  listPresets = () => this.all<Preset>('/presets');

  listWebhooks = (org: string) => this.all<Webhook>(`/orgs/${enc(org)}/webhooks`);
  getWebhook = (org: string, id: string) => this.tagged<Webhook>('GET', `/orgs/${enc(org)}/webhooks/${enc(id)}`);
  createWebhook = (org: string, body: WebhookInput) => this.request<CreatedWebhook>('POST', `/orgs/${enc(org)}/webhooks`, body);
  /** With `ifMatch` (the ETag the webhook was read with) the change is refused (412) if someone changed it since. */
  patchWebhook = (org: string, id: string, body: WebhookInput, ifMatch?: string) =>
    this.tagged<Webhook>('PATCH', `/orgs/${enc(org)}/webhooks/${enc(id)}`, body, ifMatch);
  deleteWebhook = (org: string, id: string) => this.request<void>('DELETE', `/orgs/${enc(org)}/webhooks/${enc(id)}`);
  webhookStats = (org: string, id: string, hours = 24) => this.request<WebhookStats>('GET', `/orgs/${enc(org)}/webhooks/${enc(id)}/stats${query({ hours })}`);

  listKeys = (org: string, id: string) => this.all<WebhookKey>(`/orgs/${enc(org)}/webhooks/${enc(id)}/keys`);
  addKey = (org: string, id: string) => this.request<WebhookKey>('POST', `/orgs/${enc(org)}/webhooks/${enc(id)}/keys`);
  deleteKey = (org: string, id: string, keyId: string) => this.request<void>('DELETE', `/orgs/${enc(org)}/webhooks/${enc(id)}/keys/${enc(keyId)}`);

  /** Test (logged, is_test) or trial (not logged): both answer the whole exchange. */
  direct = (org: string, id: string, mode: 'test' | 'trial', body: { event: string; entity?: unknown; app_id?: string }) =>
    this.request<DirectResult>('POST', `/orgs/${enc(org)}/webhooks/${enc(id)}/${mode}`, body);
  recover = (org: string, id: string, since: string) => this.request<RecoverResult>('POST', `/orgs/${enc(org)}/webhooks/${enc(id)}/recover`, { since });

  listDeliveries = (org: string, f: DeliveryFilters, webhookId?: string) =>
    this.request<Page<Delivery>>(
      'GET',
      `/orgs/${enc(org)}${webhookId ? `/webhooks/${enc(webhookId)}` : ''}/deliveries${query({ limit: f.limit ?? 50, status: f.status, event_type: f.event_type, since: f.since, until: f.until, cursor: f.cursor })}`,
    );
  getDelivery = (org: string, id: string) => this.request<DeliveryDetail>('GET', `/orgs/${enc(org)}/deliveries/${enc(id)}`);
  retryDelivery = (org: string, id: string) => this.request<Delivery>('POST', `/orgs/${enc(org)}/deliveries/${enc(id)}/retry`);

  createPortalLink = (org: string, body: { access?: PortalAccess; app_id?: string; ttl_seconds?: number; user_email?: string }) =>
    this.request<PortalLink>('POST', `/orgs/${enc(org)}/portal-links`, body);

  listApiKeys = () => this.all<ApiKey>('/api-keys');
  createApiKey = (body: { name: string; scopes: string[]; org_id?: string | null; email?: string }) => this.request<ApiKey & { key: string }>('POST', '/api-keys', body);
  revokeApiKey = (id: string) => this.request<void>('DELETE', `/api-keys/${enc(id)}`);
}

/** A readable sentence for an error, whatever was thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'HERALD_PRECONDITION_FAILED') return 'Someone changed this since you opened it, and your change was not saved: reload the page to see theirs, then make yours again.';
    // Schema failures list each problem with where it is: show them, not only the summary.
    // (Problems that are plain strings, as HERALD_DESTINATION_INVALID's, are already in the message.)
    const problems = (err.details as { problems?: unknown[] } | undefined)?.problems;
    const located = Array.isArray(problems) ? problems.filter((p): p is { path?: string; message?: string } => typeof p === 'object' && p !== null) : [];
    if (located.length > 0) {
      return `${err.message}: ${located.map((p) => `${p.path ?? ''} ${p.message ?? ''}`.trim()).join('; ')}`;
    }
    return err.message;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
