import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { requestHeaders } from '../src/engine/attempt-outcome.js';
import { planFanOut } from '../src/engine/fan-out.js';
import { newId } from '../src/ids.js';
import { listAttempts } from '../src/store/queries/deliveries.js';
import { insertOrg } from '../src/store/queries/orgs.js';
import { packRequestHeaders, unpackRequestHeaders } from '../src/store/request-headers.js';
import { createSigner, generateKeyMaterial, SIGNATURE_SCHEMES } from '../src/signing/index.js';
import { addWebhook, attemptFor, event, settlePending } from './helpers/store-fixtures.js';
import { STORE_KINDS, suiteStore } from './helpers/stores.js';

/**
 * An attempt's request headers are stored as what differs from what every request carries
 * (store/request-headers.ts), and read back as exactly the object that was sent: the same
 * headers, values and order. The API and the dashboard show them as before.
 */
const deliveryId = newId('msg');
const sent = (scheme: (typeof SIGNATURE_SCHEMES)[number]) =>
  requestHeaders(createSigner(scheme, [generateKeyMaterial(scheme)]), deliveryId, Math.floor(Date.now() / 1000), '{"a":1}');
const same = (a: Record<string, string>, b: Record<string, string>) => assert.deepEqual(Object.entries(a), Object.entries(b));

describe('stored request headers', () => {
  for (const scheme of SIGNATURE_SCHEMES) {
    test(`${scheme}: what the engine sends is stored short and read back exactly`, () => {
      const headers = sent(scheme);
      const stored = packRequestHeaders(headers, deliveryId);
      // A changed user agent needs a new entry in STANDARD_PARTS, or every row is stored in full.
      assert.match(stored, /^\[1,\{/, stored);
      assert.ok(stored.length < JSON.stringify(headers).length - 60, stored);
      same(unpackRequestHeaders(stored, deliveryId), headers);
    });
  }

  test('headers without the standard part, and rows written before, are plain JSON objects', () => {
    const plain: Record<string, string>[] = [{}, { a: 'b' }, { 'user-agent': 'Herald-Webhooks/0.1', 'content-type': 'application/json' }, { 'content-type': 'text/plain', 'x-id': deliveryId }];
    for (const headers of plain) {
      const stored = packRequestHeaders(headers, deliveryId);
      assert.equal(stored, JSON.stringify(headers));
      same(unpackRequestHeaders(stored, deliveryId), headers);
    }
    const before = sent('standard');
    same(unpackRequestHeaders(JSON.stringify(before), deliveryId), before);
  });
});

for (const kind of STORE_KINDS) {
  describe(`stored request headers (${kind})`, () => {
    const store = suiteStore(kind);

    test("a delivery's log shows the headers sent, in order", async () => {
      const s = store();
      const now = Date.now();
      await insertOrg(s.db, { id: 'o', name: 'O', owner_email: 'o@o.test', settings: {}, created_at: now, updated_at: now });
      await addWebhook(s.db, 'wh_headers', ['h.x']);
      await settlePending(s.db);
      await s.hot.ingest([[event('o', 'h.x')]], planFanOut);
      const [d] = await s.hot.claim(1, Date.now(), 30_000, 'tok-h');
      assert.ok(d);
      const headers = requestHeaders(createSigner('standard', [generateKeyMaterial('standard')]), d.id, Math.floor(Date.now() / 1000), '{}');
      const attempt = { ...attemptFor(d.id, d.webhook_id, 'success'), request_headers: headers };
      await s.hot.complete([{ delivery_id: d.id, webhook_id: d.webhook_id, lease_token: 'tok-h', status: 'succeeded', next_attempt_at: null, attempt }], Date.now());
      const [logged] = await listAttempts(s.db, d.id);
      assert.ok(logged);
      same(logged.request_headers, headers);
    });
  });
}
