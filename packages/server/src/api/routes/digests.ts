import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { flushDigest } from '../../services/digests.js';
import { requireOrg, requireScope } from '../auth.js';
import { IdParams, route } from '../schemas.js';
import type { RouteDeps } from '../server.js';

/** Digest webhooks (docs/digests.md): send what waits now instead of at the period's end. */
export function digestRoutes(app: FastifyInstance, { ctx, orgs }: RouteDeps): void {
  app.post('/orgs/:org/webhooks/:id/digest/flush', route({ tags: ['deliveries'], summary: "Send a digest webhook's waiting events now, as a digest; its schedule stays", params: IdParams }), async (req, reply) => {
    const { org, id } = req.params as Static<typeof IdParams>;
    requireScope(req.principal!, 'deliveries:write');
    requireOrg(req.principal!, org);
    await orgs.require(org);
    const { digests, events } = await flushDigest(ctx, org, id);
    return reply.status(202).send({ digests, events });
  });
}
