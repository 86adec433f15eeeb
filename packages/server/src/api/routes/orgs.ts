import { HeraldError } from '../../errors.js';
import { newId } from '../../ids.js';
import type { OrgSettings } from '../../model.js';
import * as q from '../../store/queries/orgs.js';
import { isUniqueViolation } from '../../store/sql.js';
import { requireGlobal, requireOrg, requireScope } from '../auth.js';
import { App, AppList, Org, OrgList } from '../response-schemas.js';
import { route, type ApiInstance } from '../route-schema.js';
import { AppCreate, OrgCreate, OrgParams, OrgPatch } from '../schemas.js';
import { Type } from '@sinclair/typebox';
import { afterAlias, mapPage, pageOf, PageQuery, pageProps, pageRequest } from '../pagination.js';
import type { RouteDeps } from '../server.js';
import { appView, orgView } from '../views.js';

const AppParams = Type.Object({ org: Type.String({ maxLength: 100 }), app: Type.String({ maxLength: 100 }) });

export function orgRoutes(app: ApiInstance, { ctx, orgs }: RouteDeps): void {
  const db = ctx.store.db;

  app.post('/orgs', route({ operationId: 'createOrg', tags: ['orgs'], summary: 'Create an org (tenant)', body: OrgCreate, response: { 201: Org } }), async (req, reply) => {
    requireGlobal(req.principal!, 'orgs:write');
    const body = req.body;
    const now = Date.now();
    const org = { id: body.id, name: body.name, owner_email: body.owner_email, settings: body.settings ?? {}, created_at: now, updated_at: now };
    try {
      await q.insertOrg(db, org);
    } catch (err) {
      if (isUniqueViolation(err)) throw new HeraldError('HERALD_ORG_EXISTS', [body.id]);
      throw err;
    }
    orgs.forget(org.id);
    return reply.status(201).send(orgView(org));
  });

  app.get('/orgs', route({ operationId: 'listOrgs', tags: ['orgs'], summary: 'List orgs, by id', querystring: Type.Object({ ...pageProps, ...afterAlias }), response: { 200: OrgList } }), async (req) => {
    requireGlobal(req.principal!, 'orgs:read');
    const page = pageRequest(req.query);
    return mapPage(pageOf(await q.listOrgs(db, page.limit + 1, page.cursor), page.limit, (o) => o.id), orgView);
  });

  app.get('/orgs/:org', route({ operationId: 'getOrg', tags: ['orgs'], summary: 'Read an org', params: OrgParams, response: { 200: Org } }), async (req) => {
    const { org } = req.params;
    requireScope(req.principal!, 'orgs:read');
    requireOrg(req.principal!, org);
    const found = await q.getOrg(db, org);
    if (!found) throw new HeraldError('HERALD_ORG_NOT_FOUND', [org]);
    return orgView(found);
  });

  app.patch('/orgs/:org', route({ operationId: 'updateOrg', tags: ['orgs'], summary: 'Change an org', params: OrgParams, body: OrgPatch, response: { 200: Org } }), async (req) => {
    const { org } = req.params;
    requireScope(req.principal!, 'orgs:write');
    requireOrg(req.principal!, org);
    const body = req.body;
    const updated = await db.transaction(async (tx) => {
      const found = await q.getOrg(tx, org);
      if (!found) throw new HeraldError('HERALD_ORG_NOT_FOUND', [org]);
      const settings: Record<string, unknown> = { ...found.settings };
      for (const [k, v] of Object.entries(body.settings ?? {})) {
        if (v === null) delete settings[k];
        else if (v !== undefined) settings[k] = v;
      }
      const next = { ...found, name: body.name ?? found.name, owner_email: body.owner_email ?? found.owner_email, settings: settings as OrgSettings, updated_at: Date.now() };
      await q.updateOrg(tx, next);
      return next;
    });
    orgs.forget(org);
    return orgView(updated);
  });

  app.post('/orgs/:org/apps', route({ operationId: 'createApp', tags: ['apps'], summary: 'Create an app in an org', params: OrgParams, body: AppCreate, response: { 201: App } }), async (req, reply) => {
    const { org } = req.params;
    requireScope(req.principal!, 'apps:write');
    requireOrg(req.principal!, org);
    await orgs.require(org);
    const body = req.body;
    const now = Date.now();
    // Omitted: generated, as webhook ids are (app ids are slugs the caller may also choose).
    const id = body.id ?? newId('app', now);
    const a = { id, org_id: org, name: body.name ?? id, created_at: now };
    try {
      await q.insertApp(db, a);
    } catch (err) {
      if (isUniqueViolation(err)) throw new HeraldError('HERALD_APP_EXISTS', [id]);
      throw err;
    }
    return reply.status(201).send(appView(a));
  });

  app.get('/orgs/:org/apps', route({ operationId: 'listApps', tags: ['apps'], summary: 'List the apps of an org, by id', params: OrgParams, querystring: PageQuery, response: { 200: AppList } }), async (req) => {
    const { org } = req.params;
    requireScope(req.principal!, 'apps:read');
    requireOrg(req.principal!, org);
    await orgs.require(org);
    const page = pageRequest(req.query);
    return mapPage(pageOf(await q.listApps(db, org, page.limit + 1, page.cursor), page.limit, (a) => a.id), appView);
  });

  app.get('/orgs/:org/apps/:app', route({ operationId: 'getApp', tags: ['apps'], summary: 'Read an app', params: AppParams, response: { 200: App } }), async (req) => {
    const { org, app: id } = req.params;
    requireScope(req.principal!, 'apps:read');
    requireOrg(req.principal!, org);
    await orgs.require(org);
    const found = await q.getApp(db, org, id);
    if (!found) throw new HeraldError('HERALD_APP_NOT_FOUND', [id]);
    return appView(found);
  });
}
