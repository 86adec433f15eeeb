import { Type } from '@sinclair/typebox';
import { HeraldError } from '../../errors.js';
import { newId } from '../../ids.js';
import type { ApiKey } from '../../model.js';
import * as q from '../../store/queries/api-keys.js';
import { hashApiKey, newApiKeySecret, requireScope } from '../auth.js';
import { ApiKey as ApiKeySchema, ApiKeyCreated, ApiKeyList, NoContent } from '../response-schemas.js';
import { mapPage, pageOf, PageQuery, pageRequest } from '../pagination.js';
import { route, type ApiInstance } from '../route-schema.js';
import { ApiKeyCreate } from '../schemas.js';
import type { RouteDeps } from '../server.js';
import { apiKeyView } from '../views.js';

const KeyIdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

export function apiKeyRoutes(app: ApiInstance, { ctx, auth, orgs }: RouteDeps): void {
  const db = ctx.store.db;

  app.post('/api-keys', route({ operationId: 'createApiKey', tags: ['api keys'], summary: 'Create an API key (the key is shown once)', body: ApiKeyCreate, response: { 201: ApiKeyCreated } }), async (req, reply) => {
    const p = req.principal!;
    requireScope(p, 'api_keys:write');
    const body = req.body;
    const orgId = body.org_id ?? p.orgId;
    // A key can only hand out what it holds: its scopes, and its org when it is limited to one.
    if ((p.orgId !== null && orgId !== p.orgId) || body.scopes.some((s) => !p.scopes.has(s))) {
      throw new HeraldError('HERALD_SCOPE_ESCALATION');
    }
    if (orgId !== null) await orgs.require(orgId);
    const secret = newApiKeySecret();
    const key: ApiKey = {
      id: newId('ak'), name: body.name, scopes: [...new Set(body.scopes)], org_id: orgId, email: body.email ?? null, created_at: Date.now(), revoked_at: null,
    };
    await q.insertApiKey(db, key, hashApiKey(secret));
    return reply.status(201).send({ ...apiKeyView(key), key: secret });
  });

  app.get('/api-keys', route({ operationId: 'listApiKeys', tags: ['api keys'], summary: 'List API keys, by id', querystring: PageQuery, response: { 200: ApiKeyList } }), async (req) => {
    const p = req.principal!;
    requireScope(p, 'api_keys:read');
    const page = pageRequest(req.query);
    return mapPage(pageOf(await q.listApiKeys(db, p.orgId, page.limit + 1, page.cursor), page.limit, (k) => k.id), apiKeyView);
  });

  app.get('/api-keys/:id', route({ operationId: 'getApiKey', tags: ['api keys'], summary: 'Read an API key (never its secret)', params: KeyIdParams, response: { 200: ApiKeySchema } }), async (req) => {
    const p = req.principal!;
    requireScope(p, 'api_keys:read');
    const { id } = req.params;
    const key = await q.getApiKey(db, id);
    if (!key || (p.orgId !== null && key.org_id !== p.orgId)) throw new HeraldError('HERALD_API_KEY_NOT_FOUND', [id]);
    return apiKeyView(key);
  });

  app.delete('/api-keys/:id', route({ operationId: 'revokeApiKey', tags: ['api keys'], summary: 'Revoke an API key', params: KeyIdParams, response: { 204: NoContent } }), async (req, reply) => {
    const p = req.principal!;
    requireScope(p, 'api_keys:write');
    const { id } = req.params;
    const key = await q.getApiKey(db, id);
    if (!key || (p.orgId !== null && key.org_id !== p.orgId)) throw new HeraldError('HERALD_API_KEY_NOT_FOUND', [id]);
    await q.revokeApiKey(db, id, Date.now());
    auth.forget();
    return reply.status(204).send();
  });
}
