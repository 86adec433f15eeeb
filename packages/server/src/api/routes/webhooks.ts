import { Type } from '@sinclair/typebox';
import * as q from '../../store/queries/webhooks.js';
import { last24h, webhookStats } from '../../services/webhook-stats.js';
import * as svc from '../../services/webhooks.js';
import { webhooksInApp } from '../app-scope.js';
import type { ApiScope } from '../../model.js';
import { requireOrg, requireScope, type Principal } from '../auth.js';
import { NoContent, WebhookCreated, WebhookKey, WebhookKeyList, WebhookList, WebhookStats, WebhookWithRecent } from '../response-schemas.js';
import { route, type ApiInstance } from '../route-schema.js';
import { IdParams, KeyParams, OrgParams, WebhookCreate, WebhookPatch } from '../schemas.js';
import { afterAlias, pageOf, pageOfList, PageQuery, pageProps, pageRequest } from '../pagination.js';
import type { RouteDeps } from '../server.js';
import { keyView, webhookView } from '../views.js';

const ListQuery = Type.Object({
  ...pageProps,
  ...afterAlias,
  state: Type.Optional(Type.Union((['draft', 'enabled', 'disabled', 'deactivated'] as const).map((s) => Type.Literal(s)))),
});

const StatsQuery = Type.Object({ hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 168, default: 24 })) });

export function webhookRoutes(app: ApiInstance, { ctx, orgs }: RouteDeps): void {
  const db = ctx.store.db;
  // Every route here has an org in its path; the principal is set by the API's onRequest hook.
  const access = async (req: { principal?: Principal; params: { org: string } }, scope: ApiScope) => {
    const { org } = req.params;
    const p = req.principal!;
    requireScope(p, scope);
    requireOrg(p, org);
    await orgs.require(org);
    return { org, actor: p.keyId };
  };

  app.post('/orgs/:org/webhooks', route({ operationId: 'createWebhook', tags: ['webhooks'], summary: 'Create a webhook; answers it with its first key', params: OrgParams, body: WebhookCreate, response: { 201: WebhookCreated } }), async (req, reply) => {
    const { org, actor } = await access(req, 'webhooks:write');
    const { webhook, key, secret } = await svc.createWebhook(ctx, org, req.body, actor);
    return reply.status(201).send({ ...webhookView(webhook), key: keyView(key, true, secret) });
  });

  app.get('/orgs/:org/webhooks', route({ operationId: 'listWebhooks', tags: ['webhooks'], summary: 'List webhooks with failures and last_triggered_at', params: OrgParams, querystring: ListQuery, response: { 200: WebhookList } }), async (req) => {
    const { org } = await access(req, 'webhooks:read');
    const page = pageRequest(req.query);
    // A portal link limited to one app lists that app's webhooks only.
    const appId = req.principal!.appId;
    const { data: shown, next_cursor } = appId
      ? await webhooksInApp(db, org, appId, page, req.query.state)
      : pageOf(await q.listWebhooks(db, org, page.limit + 1, page.cursor, req.query.state), page.limit, (w) => w.id);
    const recent = await last24h(db, shown.map((w) => w.id));
    return { data: shown.map((w) => ({ ...webhookView(w), ...recent(w.id) })), next_cursor };
  });

  app.get('/orgs/:org/webhooks/:id', route({ operationId: 'getWebhook', tags: ['webhooks'], summary: 'Read a webhook', params: IdParams, response: { 200: WebhookWithRecent } }), async (req) => {
    const { org } = await access(req, 'webhooks:read');
    const w = await svc.loadWebhook(db, org, req.params.id);
    return { ...webhookView(w), ...(await last24h(db, [w.id]))(w.id) };
  });

  app.get('/orgs/:org/webhooks/:id/stats', route({ operationId: 'getWebhookStats', tags: ['webhooks'], summary: 'Attempts per minute by outcome and latency percentiles (last 24 h by default)', params: IdParams, querystring: StatsQuery, response: { 200: WebhookStats } }), async (req) => {
    const { org } = await access(req, 'webhooks:read');
    const w = await svc.loadWebhook(db, org, req.params.id);
    return webhookStats(db, w.id, req.query.hours ?? 24);
  });

  app.patch('/orgs/:org/webhooks/:id', route({ operationId: 'updateWebhook', tags: ['webhooks'], summary: 'Change a webhook (including state: enabled or disabled); answers it as getWebhook does', params: IdParams, body: WebhookPatch, response: { 200: WebhookWithRecent } }), async (req) => {
    const { org, actor } = await access(req, 'webhooks:write');
    const w = await svc.patchWebhook(ctx, org, req.params.id, req.body, actor);
    return { ...webhookView(w), ...(await last24h(db, [w.id]))(w.id) };
  });

  app.delete('/orgs/:org/webhooks/:id', route({ operationId: 'deleteWebhook', tags: ['webhooks'], summary: 'Delete a webhook; its pending deliveries are cancelled', params: IdParams, response: { 204: NoContent } }), async (req, reply) => {
    const { org } = await access(req, 'webhooks:delete');
    await svc.deleteWebhook(ctx, org, req.params.id);
    return reply.status(204).send();
  });

  app.get('/orgs/:org/webhooks/:id/keys', route({ operationId: 'listWebhookKeys', tags: ['keys'], summary: 'List keys, oldest first, with in_use', params: IdParams, querystring: PageQuery, response: { 200: WebhookKeyList } }), async (req) => {
    const { org } = await access(req, 'keys:read');
    const w = await svc.loadWebhook(db, org, req.params.id);
    const keys = await q.listKeys(db, [w.id]);
    const inUse = svc.keysInUse(w.signature.scheme, keys);
    // At most two keys: paged in memory, for one convention on every list.
    return pageOfList(keys.map((k, i) => keyView(k, inUse[i] ?? false)), pageRequest(req.query), (k) => k.id);
  });

  app.post('/orgs/:org/webhooks/:id/keys', route({ operationId: 'addWebhookKey', tags: ['keys'], summary: 'Add a key (at most 2); a secret is shown only here', params: IdParams, response: { 201: WebhookKey } }), async (req, reply) => {
    const { org } = await access(req, 'keys:write');
    const { key, secret, inUse } = await svc.addKey(ctx, org, req.params.id);
    return reply.status(201).send(keyView(key, inUse, secret));
  });

  app.delete('/orgs/:org/webhooks/:id/keys/:keyId', route({ operationId: 'deleteWebhookKey', tags: ['keys'], summary: 'Delete a key (not the last one)', params: KeyParams, response: { 204: NoContent } }), async (req, reply) => {
    const { org } = await access(req, 'keys:write');
    const { id, keyId } = req.params;
    await svc.removeKey(ctx, org, id, keyId);
    return reply.status(204).send();
  });
}
