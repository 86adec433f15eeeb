import { flushDigest } from '../../services/digests.js';
import { requireOrg, requireScope } from '../auth.js';
import { DigestFlush } from '../response-schemas.js';
import { route, type ApiInstance } from '../route-schema.js';
import { IdParams } from '../schemas.js';
import type { RouteDeps } from '../server.js';

/** Digest webhooks (docs/digests.md): send what waits now instead of at the period's end. */
export function digestRoutes(app: ApiInstance, { ctx, orgs }: RouteDeps): void {
  app.post('/orgs/:org/webhooks/:id/digest/flush', route({ operationId: 'flushDigest', tags: ['deliveries'], summary: "Send a digest webhook's waiting events now, as a digest; its schedule stays", params: IdParams, response: { 202: DigestFlush } }), async (req, reply) => {
    const { org, id } = req.params;
    requireScope(req.principal!, 'deliveries:write');
    requireOrg(req.principal!, org);
    await orgs.require(org);
    const { digests, events } = await flushDigest(ctx, org, id);
    return reply.status(202).send({ digests, events });
  });
}
