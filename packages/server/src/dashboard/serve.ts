import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where the dashboard's built files are: the workspace package beside this one. */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../dashboard/dist/', import.meta.url));

const MISSING = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Herald</title></head>
<body><main><h1>Herald is running</h1>
<p>The dashboard has not been built. Run <code>npm run build</code> at the repository root, then reload.</p>
<p>The API answers meanwhile: <a href="/openapi.json">/openapi.json</a>.</p></main></body></html>`;

/**
 * Serves the dashboard (packages/dashboard, built by Vite) at `/`. It is a single page that
 * routes on the URL fragment, so only index.html and hashed assets are served; it talks to
 * the same origin's /api/v1 like any other client. It may be framed (the customer portal is
 * embedded by SaaS products), so no frame-ancestors limit is set.
 */
export async function dashboardRoutes(app: FastifyInstance, dir: string): Promise<void> {
  const built = existsSync(`${dir}/index.html`);
  app.addHook('onSend', async (req, reply) => {
    if (req.url.startsWith('/api/')) return;
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (req.url === '/' || req.url.startsWith('/index.html')) {
      reply.header('content-security-policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'");
      reply.header('cache-control', 'no-cache');
    }
  });
  if (!built) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(MISSING));
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    // Hashed file names: an asset never changes under its name.
    setHeaders: (res, path) => {
      if (path.includes('/assets/')) res.setHeader('cache-control', 'public, max-age=31536000, immutable');
    },
  });
}
