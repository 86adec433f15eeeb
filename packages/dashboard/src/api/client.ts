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
    const headers: Record<string, string> = { authorization: `Bearer ${this.credential}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`/api/v1${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch {
      throw new ApiError(0, 'NETWORK', 'Herald did not answer: check that the server is running and reachable.');
    }
    if (res.status === 204) return undefined as T;
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
    return parsed as T;
  }

  whoami = () => this.request<WhoAmI>('GET', '/whoami');

  listOrgs = () => this.request<Page<Org>>('GET', '/orgs?limit=250');
  getOrg = (org: string) => this.request<Org>('GET', `/orgs/${enc(org)}`);
  createOrg = (body: { id: string; name: string; owner_email: string }) => this.request<Org>('POST', '/orgs', body);
  listApps = (org: string) => this.request<Page<App>>('GET', `/orgs/${enc(org)}/apps`);

  listEventTypes = () => this.request<Page<EventType>>('GET', '/event-types');
  eventExample = (name: string) => this.request<Record<string, unknown>>('GET', `/event-types/${enc(name)}/example`);
  listPresets = () => this.request<Page<Preset>>('GET', '/presets');

  listWebhooks = (org: string) => this.request<Page<Webhook>>('GET', `/orgs/${enc(org)}/webhooks?limit=250`);
  getWebhook = (org: string, id: string) => this.request<Webhook>('GET', `/orgs/${enc(org)}/webhooks/${enc(id)}`);
  createWebhook = (org: string, body: WebhookInput) => this.request<CreatedWebhook>('POST', `/orgs/${enc(org)}/webhooks`, body);
  patchWebhook = (org: string, id: string, body: WebhookInput) => this.request<Webhook>('PATCH', `/orgs/${enc(org)}/webhooks/${enc(id)}`, body);
  deleteWebhook = (org: string, id: string) => this.request<void>('DELETE', `/orgs/${enc(org)}/webhooks/${enc(id)}`);
  webhookStats = (org: string, id: string, hours = 24) => this.request<WebhookStats>('GET', `/orgs/${enc(org)}/webhooks/${enc(id)}/stats${query({ hours })}`);

  listKeys = (org: string, id: string) => this.request<Page<WebhookKey>>('GET', `/orgs/${enc(org)}/webhooks/${enc(id)}/keys`);
  addKey = (org: string, id: string) => this.request<WebhookKey>('POST', `/orgs/${enc(org)}/webhooks/${enc(id)}/keys`);
  deleteKey = (org: string, id: string, keyId: string) => this.request<void>('DELETE', `/orgs/${enc(org)}/webhooks/${enc(id)}/keys/${enc(keyId)}`);

  /** Test (logged, is_test) or trial (not logged): both answer the whole exchange. */
  direct = (org: string, id: string, mode: 'test' | 'trial', body: { event: string; entity?: unknown; app_id?: string }) =>
    this.request<DirectResult>('POST', `/orgs/${enc(org)}/webhooks/${enc(id)}/${mode}`, body);
  recover = (org: string, id: string, since: string) => this.request<RecoverResult>('POST', `/orgs/${enc(org)}/webhooks/${enc(id)}/recover`, { since });

  listDeliveries = (org: string, f: DeliveryFilters, webhookId?: string) =>
    this.request<Page<Delivery>>(
      'GET',
      `/orgs/${enc(org)}${webhookId ? `/webhooks/${enc(webhookId)}` : ''}/deliveries${query({ limit: f.limit ?? 50, status: f.status, event_type: f.event_type, since: f.since, until: f.until, before: f.before })}`,
    );
  getDelivery = (org: string, id: string) => this.request<DeliveryDetail>('GET', `/orgs/${enc(org)}/deliveries/${enc(id)}`);
  retryDelivery = (org: string, id: string) => this.request<Delivery>('POST', `/orgs/${enc(org)}/deliveries/${enc(id)}/retry`);

  createPortalLink = (org: string, body: { access?: PortalAccess; app_id?: string; ttl_seconds?: number; user_email?: string }) =>
    this.request<PortalLink>('POST', `/orgs/${enc(org)}/portal-links`, body);

  listApiKeys = () => this.request<Page<ApiKey>>('GET', '/api-keys');
  createApiKey = (body: { name: string; scopes: string[]; org_id?: string | null; email?: string }) => this.request<ApiKey & { key: string }>('POST', '/api-keys', body);
  revokeApiKey = (id: string) => this.request<void>('DELETE', `/api-keys/${enc(id)}`);
}

/** A readable sentence for an error, whatever was thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    // Schema failures list each problem with where it is: show them, not only the summary.
    const problems = (err.details as { problems?: { path?: string; message?: string }[] } | undefined)?.problems;
    if (Array.isArray(problems) && problems.length > 0) {
      return `${err.message}: ${problems.map((p) => `${p.path ?? ''} ${p.message ?? ''}`.trim()).join('; ')}`;
    }
    return err.message;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
