import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herald</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1b1f24}
code{background:#f0f2f4;padding:.1rem .3rem;border-radius:3px}</style></head>
<body><main><h1>Herald is running</h1>
<p>The dashboard is on its way. Meanwhile everything is scriptable through the API:</p>
<ul><li><a href="/openapi.json">OpenAPI document</a> (<code>/openapi.json</code>)</li>
<li><a href="/healthz">Health</a> and <a href="/metrics">Prometheus metrics</a></li></ul>
<p>Send <code>Authorization: Bearer &lt;key&gt;</code> with every <code>/api/v1</code> call.</p></main></body></html>`;

/** Health, metrics, the OpenAPI document and the dashboard's place at `/`. */
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
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(PLACEHOLDER));
}
