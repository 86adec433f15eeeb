import { Type } from '@sinclair/typebox';
import { importEventTypes } from '../../catalogue/import.js';
import { CatalogueEventType, MAX_CATALOGUE_TYPES, loadShippedCatalogue, shippedCatalogueNames } from '../../catalogue/load.js';
import { HeraldError } from '../../errors.js';
import { requireGlobal } from '../auth.js';
import { EventTypeImport } from '../response-schemas.js';
import { route, type ApiInstance } from '../route-schema.js';
import { COMPONENT_KEY } from '../schema-names.js';
import type { RouteDeps } from '../server.js';

const CatalogueImport = Type.Object(
  {
    catalogue: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'a catalogue shipped with Herald: salesiq, smarterbot' })),
    event_types: Type.Optional(Type.Array(CatalogueEventType, { minItems: 1, maxItems: MAX_CATALOGUE_TYPES })),
    replace: Type.Optional(Type.Boolean({ description: 'overwrite stored types that differ (default false: keep them and list them as skipped)' })),
  },
  { additionalProperties: false, description: 'Either `catalogue` or `event_types`', [COMPONENT_KEY]: 'EventTypeImport' },
);

export function catalogueImportRoutes(app: ApiInstance, { ctx, eventTypes }: RouteDeps): void {
  app.post(
    '/event-types/import',
    route({ operationId: 'importEventTypes', tags: ['event types'], summary: 'Import a shipped catalogue or a list of event types, all or nothing', body: CatalogueImport, response: { 200: EventTypeImport } }),
    async (req) => {
      requireGlobal(req.principal!, 'event_types:write');
      const body = req.body;
      if ((body.catalogue === undefined) === (body.event_types === undefined)) {
        throw new HeraldError('HERALD_BAD_REQUEST', ['send either "catalogue" (the name of a shipped catalogue) or "event_types" (a list), not both']);
      }
      let types: readonly unknown[];
      if (body.catalogue !== undefined) {
        const catalogue = await loadShippedCatalogue(body.catalogue);
        if (!catalogue) throw new HeraldError('HERALD_CATALOGUE_NOT_FOUND', [body.catalogue, (await shippedCatalogueNames()).join(', ')]);
        types = catalogue.event_types;
      } else {
        types = body.event_types!;
      }
      const result = await importEventTypes(ctx.store.db, types, { replace: body.replace ?? false });
      eventTypes.forget();
      return { catalogue: body.catalogue ?? null, ...result };
    },
  );
}
