import { alertRuleView } from '../../alerts/rule-view.js';
import { PRESET_NAMES, PRESETS } from '../../policy/presets.js';
import { policyView } from '../../policy/resolve.js';
import { requireScope } from '../auth.js';
import { PresetList } from '../response-schemas.js';
import { route, type ApiInstance } from '../route-schema.js';
import type { RouteDeps } from '../server.js';
import { mapPage, pageOfList, PageQuery, pageRequest } from '../pagination.js';

/** The presets as plain data: signature, policy, payload mode, and the seed sentences each implements. */
export function presetRoutes(app: ApiInstance, _deps: RouteDeps): void {
  app.get('/presets', route({ operationId: 'listPresets', tags: ['webhooks'], summary: 'Delivery presets and the seed sentences they implement', querystring: PageQuery, response: { 200: PresetList } }), async (req) => {
    requireScope(req.principal!, 'webhooks:read');
    return mapPage(pageOfList(PRESET_NAMES, pageRequest(req.query), (name) => name), (name) => {
      const p = PRESETS[name];
      return { name, description: p.description, signature: p.signature, policy: policyView(p.policy), payload: p.payload_mode, alerts: alertRuleView(p.alerts), sources: p.sources };
    });
  });
}
