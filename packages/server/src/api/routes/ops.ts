import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

/** Health, metrics and the OpenAPI document. */
export function opsRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/healthz', { schema: { hide: true } }, async (_req, reply) => {
    if (!ctx.ready()) return reply.status(503).send({ status: 'starting' });
    try {
      await ctx.store.db.get('SELECT 1 AS ok');
    } catch {
      return reply.status(503).send({ status: 'store unavailable' });
    }
    return { status: 'ok', store: ctx.store.dialect, role: ctx.config.role };
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', ctx.metrics.contentType);
    return ctx.metrics.render();
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
