import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { WebhookState } from '../../model.js';
import * as q from '../../store/queries/webhooks.js';
import { last24h, webhookStats } from '../../services/webhook-stats.js';
import * as svc from '../../services/webhooks.js';
import { webhookInApp } from '../app-scope.js';
import { requireOrg, requireScope } from '../auth.js';
import { IdParams, KeyParams, OrgParams, Pagination, WebhookCreate, WebhookPatch, route } from '../schemas.js';
import type { RouteDeps } from '../server.js';
import { keyView, webhookView } from '../views.js';

const ListQuery = Type.Intersect([
  Pagination,
  Type.Object({ state: Type.Optional(Type.Union(['draft', 'enabled', 'disabled', 'deactivated'].map((s) => Type.Literal(s)))) }),
]);

const StatsQuery = Type.Object({ hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 168, default: 24 })) });

export function webhookRoutes(app: FastifyInstance, { ctx, orgs }: RouteDeps): void {
  const db = ctx.store.db;
  const access = async (req: { principal?: unknown; params: unknown }, scope: Parameters<typeof requireScope>[1]) => {
    const { org } = req.params as { org: string };
    const p = (req as { principal: Parameters<typeof requireScope>[0] }).principal;
    requireScope(p, scope);
    requireOrg(p, org);
    await orgs.require(org);
    return { org, actor: p.keyId };
  };

  app.post('/orgs/:org/webhooks', route({ tags: ['webhooks'], summary: 'Create a webhook; answers it with its first key', params: OrgParams, body: WebhookCreate }), async (req, reply) => {
    const { org, actor } = await access(req, 'webhooks:write');
    const { webhook, key, secret } = await svc.createWebhook(ctx, org, req.body as Static<typeof WebhookCreate>, actor);
    return reply.status(201).send({ ...webhookView(webhook), key: keyView(key, true, secret) });
  });

  app.get('/orgs/:org/webhooks', route({ tags: ['webhooks'], summary: 'List webhooks with failures and last_triggered_at', params: OrgParams, querystring: ListQuery }), async (req) => {
    const { org } = await access(req, 'webhooks:read');
    const { limit = 50, after, state } = req.query as { limit?: number; after?: string; state?: WebhookState };
    const rows = await q.listWebhooks(db, org, limit, after ?? null, state);
    // A portal link limited to one app lists that app's webhooks only (the cursor still walks every row).
    const appId = req.principal!.appId;
    const shown = appId ? rows.filter((w) => webhookInApp(w, appId)) : rows;
    const recent = await last24h(db, shown.map((w) => w.id));
    return { data: shown.map((w) => ({ ...webhookView(w), ...recent(w.id) })), next_cursor: rows.length === limit ? rows.at(-1)!.id : null };
  });

  app.get('/orgs/:org/webhooks/:id', route({ tags: ['webhooks'], summary: 'Read a webhook', params: IdParams }), async (req) => {
    const { org } = await access(req, 'webhooks:read');
    const w = await svc.loadWebhook(db, org, (req.params as Static<typeof IdParams>).id);
    return { ...webhookView(w), ...(await last24h(db, [w.id]))(w.id) };
  });

  app.get('/orgs/:org/webhooks/:id/stats', route({ tags: ['webhooks'], summary: 'Attempts per minute by outcome and latency percentiles (last 24 h by default)', params: IdParams, querystring: StatsQuery }), async (req) => {
    const { org } = await access(req, 'webhooks:read');
    const w = await svc.loadWebhook(db, org, (req.params as Static<typeof IdParams>).id);
    return webhookStats(db, w.id, (req.query as Static<typeof StatsQuery>).hours ?? 24);
  });

  app.patch('/orgs/:org/webhooks/:id', route({ tags: ['webhooks'], summary: 'Change a webhook (including state: enabled or disabled)', params: IdParams, body: WebhookPatch }), async (req) => {
    const { org, actor } = await access(req, 'webhooks:write');
    const w = await svc.patchWebhook(ctx, org, (req.params as Static<typeof IdParams>).id, req.body as Static<typeof WebhookPatch>, actor);
    return webhookView(w);
  });

  app.delete('/orgs/:org/webhooks/:id', route({ tags: ['webhooks'], summary: 'Delete a webhook; its pending deliveries are cancelled', params: IdParams }), async (req, reply) => {
    const { org } = await access(req, 'webhooks:delete');
    await svc.deleteWebhook(ctx, org, (req.params as Static<typeof IdParams>).id);
    return reply.status(204).send();
  });

  app.get('/orgs/:org/webhooks/:id/keys', route({ tags: ['keys'], summary: 'List keys, oldest first, with in_use', params: IdParams }), async (req) => {
    const { org } = await access(req, 'keys:read');
    const w = await svc.loadWebhook(db, org, (req.params as Static<typeof IdParams>).id);
    const keys = await q.listKeys(db, [w.id]);
    const inUse = svc.keysInUse(w.signature.scheme, keys);
    return { data: keys.map((k, i) => keyView(k, inUse[i] ?? false)) };
  });

  app.post('/orgs/:org/webhooks/:id/keys', route({ tags: ['keys'], summary: 'Add a key (at most 2); a secret is shown only here', params: IdParams }), async (req, reply) => {
    const { org } = await access(req, 'keys:write');
    const { key, secret, inUse } = await svc.addKey(ctx, org, (req.params as Static<typeof IdParams>).id);
    return reply.status(201).send(keyView(key, inUse, secret));
  });

  app.delete('/orgs/:org/webhooks/:id/keys/:keyId', route({ tags: ['keys'], summary: 'Delete a key (not the last one)', params: KeyParams }), async (req, reply) => {
    const { org } = await access(req, 'keys:write');
    const { id, keyId } = req.params as Static<typeof KeyParams>;
    await svc.removeKey(ctx, org, id, keyId);
    return reply.status(204).send();
  });
}
