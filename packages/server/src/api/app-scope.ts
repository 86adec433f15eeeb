import type { FastifyRequest } from 'fastify';
import { HeraldError } from '../errors.js';
import type { Webhook } from '../model.js';
import { getDelivery, getEvent } from '../store/queries/deliveries.js';
import { getWebhook, listWebhooks } from '../store/queries/webhooks.js';
import type { WebhookState } from '../model.js';
import { MAX_LIMIT, pageOf, type Page, type PageRequest } from './pagination.js';
import type { SqlExecutor } from '../store/sql.js';

/** True when an app-limited caller may see this webhook: it must be scoped to that app. */
export const webhookInApp = (w: Pick<Webhook, 'apps'>, appId: string): boolean => w.apps !== null && w.apps.includes(appId);

/** Most rows read for one page of an app's webhooks: the store holds no index by app. */
const MAX_SCANNED = 40 * MAX_LIMIT;

/**
 * A page of the webhooks scoped to one app (a portal link limited to it): rows are read in
 * id order and filtered until the page is full, so a cursor is not handed out for a page that
 * would show nothing. Bounded: past MAX_SCANNED rows the page ends where the reading stopped.
 */
export async function webhooksInApp(db: SqlExecutor, org: string, appId: string, page: PageRequest, state?: WebhookState): Promise<Page<Webhook>> {
  const shown: Webhook[] = [];
  let after = page.cursor;
  for (let scanned = 0; scanned < MAX_SCANNED;) {
    const rows = await listWebhooks(db, org, MAX_LIMIT, after, state);
    scanned += rows.length;
    shown.push(...rows.filter((w) => webhookInApp(w, appId)));
    if (shown.length > page.limit) return pageOf(shown, page.limit, (w) => w.id);
    if (rows.length < MAX_LIMIT) return { data: shown, next_cursor: null };
    after = rows.at(-1)!.id;
  }
  // Rather an empty page with a cursor than webhooks nobody can reach.
  return { data: shown, next_cursor: after };
}

/**
 * Keeps a portal link limited to one app inside that app: webhooks not scoped to the app,
 * their deliveries and other apps' events answer 404 as if they did not exist; a new webhook
 * is scoped to the app; the org-wide delivery log is refused (use a webhook's log).
 * Runs after routing (params parsed), before the handler; callers without an app pass freely.
 */
export async function enforceAppScope(db: SqlExecutor, req: FastifyRequest): Promise<void> {
  const appId = req.principal?.appId;
  if (!appId) return;
  const route = req.routeOptions.url ?? '';
  const params = req.params as { org?: string; id?: string };
  const org = params.org;
  if (org === undefined) return;
  if (route.startsWith('/api/v1/orgs/:org/webhooks/:id')) {
    const w = await getWebhook(db, org, params.id!);
    if (!w || !webhookInApp(w, appId)) throw new HeraldError('HERALD_WEBHOOK_NOT_FOUND', [params.id!]);
    const apps = (req.body as { apps?: string[] | null } | undefined)?.apps;
    if (req.method === 'PATCH' && apps !== undefined && (apps === null || apps.length !== 1 || apps[0] !== appId)) {
      throw new HeraldError('HERALD_PORTAL_APP_ONLY', [appId, `its webhooks stay scoped to ["${appId}"]`]);
    }
  } else if (route.startsWith('/api/v1/orgs/:org/deliveries/:id')) {
    const d = await getDelivery(db, org, params.id!);
    const w = d ? await getWebhook(db, org, d.webhook_id) : undefined;
    if (!w || !webhookInApp(w, appId)) throw new HeraldError('HERALD_DELIVERY_NOT_FOUND', [params.id!]);
  } else if (route === '/api/v1/orgs/:org/deliveries') {
    throw new HeraldError('HERALD_PORTAL_APP_ONLY', [appId, "read a webhook's own delivery log instead of the org's"]);
  } else if (route.startsWith('/api/v1/orgs/:org/events/:id')) {
    const e = await getEvent(db, org, params.id!);
    if (!e || e.app_id !== appId) throw new HeraldError('HERALD_NOT_FOUND', [req.method, req.url.split('?')[0] ?? '']);
  } else if (route === '/api/v1/orgs/:org/webhooks' && req.method === 'POST') {
    const body = req.body as { apps?: string[] | null };
    if (body.apps !== undefined && body.apps !== null && (body.apps.length !== 1 || body.apps[0] !== appId)) {
      throw new HeraldError('HERALD_PORTAL_APP_ONLY', [appId, `webhooks made here are scoped to ["${appId}"]`]);
    }
    body.apps = [appId];
  }
}
