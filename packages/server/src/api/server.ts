import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { HeraldError } from '../errors.js';
import { EventTypeCache } from '../services/events.js';
import { OrgCache } from '../services/orgs.js';
import { enforceAppScope } from './app-scope.js';
import { Authenticator } from './auth.js';
import { PortalTokens } from './portal-token.js';
import type { AppContext } from './context.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { catalogueImportRoutes } from './routes/catalogue-import.js';
import { catalogueRoutes } from './routes/event-types.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { digestRoutes } from './routes/digests.js';
import { eventRoutes } from './routes/events.js';
import { dashboardRoutes, DEFAULT_DASHBOARD_DIR } from '../dashboard/serve.js';
import { opsRoutes } from './routes/ops.js';
import { orgRoutes } from './routes/orgs.js';
import { webhookRoutes } from './routes/webhooks.js';
import { webhookActionRoutes } from './routes/webhook-actions.js';
import { pollRoutes } from './routes/poll.js';
import { portalRoutes } from './routes/portal.js';
import { presetRoutes } from './routes/presets.js';
import { validatorCompiler } from './validation.js';
import { openApiOptions } from './openapi.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { clientErrorHandler, frameworkErrors, MAX_PARAM_LENGTH, toHeraldError } from './http-errors.js';
import { registerJsonBodyParser } from './json-body.js';
import { refuseNulCharacters } from './request-guards.js';
import { REQUEST_ID_HEADER, requestIdOptions } from './request-id.js';
import { idempotencyHooks } from './idempotency.js';
import { etagHooks } from './etag.js';

/** Per-app helpers the route modules share. */
export interface RouteDeps {
  ctx: AppContext;
  auth: Authenticator;
  orgs: OrgCache;
  eventTypes: EventTypeCache;
  portal: PortalTokens;
}

export async function buildApi(ctx: AppContext, opts: { serveApi: boolean }): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log,
    // Per-request log lines would cost more than ingest itself at thousands of requests a second.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ctx.config.bodyLimit,
    ajv: { customOptions: { strict: false } },
    trustProxy: false,
    // Requests that arrive while closing get HERALD_SHUTTING_DOWN below, in Herald's form.
    return503OnClosing: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // The caller's x-request-id when usable (request-id.ts); Fastify logs it as reqId on every line of the request.
    ...requestIdOptions,
    frameworkErrors,
    clientErrorHandler,
  });
  app.setValidatorCompiler(validatorCompiler);
  registerJsonBodyParser(app as unknown as FastifyInstance);
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (req, reply) => {
    void reply.header(REQUEST_ID_HEADER, req.id);
    if (closing) throw new HeraldError('HERALD_SHUTTING_DOWN');
    await refuseNulCharacters(req);
  });
  app.setErrorHandler((err, req, reply) => {
    let herald = toHeraldError(err as Error, ctx.config.bodyLimit);
    if (herald.code === 'HERALD_INTERNAL') {
      req.log.error({ err }, 'request failed');
      herald = new HeraldError('HERALD_INTERNAL', [req.id], { request_id: req.id });
    }
    void reply.status(herald.status).send(herald.toJSON());
  });
  app.setNotFoundHandler((req, reply) => {
    const err = new HeraldError('HERALD_NOT_FOUND', [req.method, req.url.split('?')[0] ?? '']);
    void reply.status(404).send(err.toJSON());
  });

  // Answers are written as the handlers build them: the response schemas document them (and
  // the conformance test holds them to it) but must not silently drop or coerce a field.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await app.register(swagger, openApiOptions(ctx.config));

  const portal = new PortalTokens(ctx.box.deriveKey('portal-links'));
  const deps: RouteDeps = {
    ctx,
    portal,
    auth: new Authenticator(ctx.store.db, portal),
    orgs: new OrgCache(ctx.store.db),
    eventTypes: new EventTypeCache(ctx.store.db),
  };

  await app.register(async (ops) => opsRoutes(ops, ctx));
  if (opts.serveApi) await app.register(async (ui) => dashboardRoutes(ui, ctx.config.dashboardDir ?? DEFAULT_DASHBOARD_DIR));
  if (opts.serveApi) {
    await app.register(
      async (untyped) => {
        const api = untyped.withTypeProvider<TypeBoxTypeProvider>();
        api.addHook('onRequest', async (req) => {
          req.principal = await deps.auth.principal(req);
        });
        api.addHook('preHandler', async (req) => enforceAppScope(ctx.store.db, req));
        const etags = etagHooks(ctx.store.db);
        const idempotency = idempotencyHooks(ctx.store.db, ctx.box);
        api.addHook('preHandler', etags.check);
        api.addHook('preHandler', idempotency.before);
        api.addHook('onSend', etags.tag);
        api.addHook('onResponse', etags.release);
        api.addHook('onRequestAbort', etags.release);
        api.addHook('onSend', idempotency.keep);
        orgRoutes(api, deps);
        catalogueRoutes(api, deps);
        catalogueImportRoutes(api, deps);
        webhookRoutes(api, deps);
        webhookActionRoutes(api, deps);
        pollRoutes(api, deps);
        presetRoutes(api, deps);
        eventRoutes(api, deps);
        deliveryRoutes(api, deps);
        digestRoutes(api, deps);
        apiKeyRoutes(api, deps);
        portalRoutes(api, deps);
      },
      { prefix: '/api/v1' },
    );
  }
  return app as unknown as FastifyInstance;
}
