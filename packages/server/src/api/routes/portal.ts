import { Type } from '@sinclair/typebox';
import { HeraldError } from '../../errors.js';
import { getApp } from '../../store/queries/orgs.js';
import { requireOrg, requireScope } from '../auth.js';
import { PortalLink, Whoami } from '../response-schemas.js';
import { route, type ApiInstance } from '../route-schema.js';
import { COMPONENT_KEY } from '../schema-names.js';
import { OrgParams } from '../schemas.js';
import type { RouteDeps } from '../server.js';
import { iso } from '../views.js';

const PortalLinkCreate = Type.Object(
  {
    access: Type.Optional(Type.Union([Type.Literal('read'), Type.Literal('manage')], { description: 'read: look only; manage (default): also change webhooks and keys' })),
    app_id: Type.Optional(Type.String({ maxLength: 100, description: "limit the link to this app's webhooks" })),
    ttl_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400, description: 'how long the link works (default 3600)' })),
    user_email: Type.Optional(Type.String({ format: 'email', maxLength: 254, description: 'the end user, recorded as the author of their changes and mailed alerts' })),
  },
  { additionalProperties: false, [COMPONENT_KEY]: 'PortalLinkCreate' },
);

/** Portal links (a tenant-limited dashboard a SaaS embeds for its customers) and whoami. */
export function portalRoutes(app: ApiInstance, { ctx, orgs, portal }: RouteDeps): void {
  app.post('/orgs/:org/portal-links', route({ operationId: 'createPortalLink', tags: ['portal'], summary: 'A short-lived link to the dashboard limited to one org (and optionally one app)', params: OrgParams, body: PortalLinkCreate, response: { 201: PortalLink } }), async (req, reply) => {
    const { org } = req.params;
    const p = req.principal!;
    requireScope(p, 'portal_links:write');
    requireOrg(p, org);
    await orgs.require(org);
    const body = req.body;
    const appId = body.app_id ?? null;
    if (appId !== null && !(await getApp(ctx.store.db, org, appId))) throw new HeraldError('HERALD_APP_NOT_FOUND', [appId]);
    const access = body.access ?? 'manage';
    const expiresAt = Date.now() + (body.ttl_seconds ?? 3600) * 1000;
    const token = portal.issue({ o: org, a: appId, x: access, e: expiresAt, u: body.user_email ?? null });
    const base = (ctx.config.publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/+$/, '');
    return reply.status(201).send({
      url: `${base}/#/portal?token=${encodeURIComponent(token)}`,
      token, org_id: org, app_id: appId, access, expires_at: iso(expiresAt),
    });
  });

  app.get('/whoami', route({ operationId: 'whoami', tags: ['portal'], summary: 'What the calling key or portal link may do', response: { 200: Whoami } }), async (req) => {
    const p = req.principal!;
    return {
      kind: p.kind, key_id: p.keyId, org_id: p.orgId, app_id: p.appId, access: p.access,
      scopes: [...p.scopes].sort(), expires_at: iso(p.expiresAt),
    };
  });
}
