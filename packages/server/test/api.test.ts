import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestHerald } from './helpers/herald.js';
import { STORE_KINDS } from './helpers/stores.js';

for (const kind of STORE_KINDS) {
  describe(`API (${kind})`, () => {
    let h: TestHerald;
    before(async () => {
      h = await TestHerald.start(kind, { bodyLimit: 64 * 1024 });
    });
    after(async () => h.stop());

    test('orgs and apps: create, read, list; duplicates are 409', async () => {
      const c = await h.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'owner@acme.test' });
      assert.equal(c.status, 201);
      assert.equal(c.body.id, 'acme');
      assert.equal((await h.api('POST', '/orgs', { id: 'acme', name: 'Again', owner_email: 'x@acme.test' })).body.error.code, 'HERALD_ORG_EXISTS');
      assert.equal((await h.api('GET', '/orgs/acme')).body.owner_email, 'owner@acme.test');
      assert.equal((await h.api('GET', '/orgs/nope')).body.error.code, 'HERALD_ORG_NOT_FOUND');
      assert.equal((await h.api('POST', '/orgs/acme/apps', { id: 'embed1', name: 'Website' })).status, 201);
      assert.deepEqual((await h.api('GET', '/orgs/acme/apps')).body.data.map((a: { id: string }) => a.id), ['embed1']);
      await h.api('POST', '/orgs', { id: 'other', name: 'Other', owner_email: 'o@other.test' });
    });

    test('an app created without an id gets a generated one (issue 18: the caller had to invent it)', async () => {
      const a = await h.api('POST', '/orgs/other/apps', { name: 'Mobile' });
      assert.equal(a.status, 201);
      assert.match(a.body.id, /^app_[0-9a-z]{26}$/);
      assert.equal(a.body.name, 'Mobile');
      const b = await h.api('POST', '/orgs/other/apps', {});
      assert.equal(b.status, 201);
      assert.notEqual(b.body.id, a.body.id);
      assert.equal(b.body.name, b.body.id, 'the name defaults to the id, as for a chosen id');
      const ids = (await h.api('GET', '/orgs/other/apps')).body.data.map((x: { id: string }) => x.id);
      assert.deepEqual(new Set(ids), new Set([a.body.id, b.body.id]));
      assert.equal((await h.api('POST', `/orgs/other/apps`, { id: a.body.id })).body.error.code, 'HERALD_APP_EXISTS');
    });

    test('auth: no key or a wrong key is 401, a missing scope 403, another org 404', async () => {
      assert.equal((await h.api('GET', '/orgs/acme', undefined, { key: null })).status, 401);
      const wrong = await h.api('GET', '/orgs/acme', undefined, { key: 'hk_not-a-key' });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.code, 'HERALD_UNAUTHORIZED');
      const limited = await h.api('POST', '/api-keys', { name: 'reader', scopes: ['webhooks:read', 'orgs:read'], org_id: 'acme' });
      assert.equal(limited.status, 201);
      const key = limited.body.key as string;
      assert.match(key, /^hk_/);
      const forbidden = await h.api('POST', '/orgs/acme/webhooks', { url: 'http://127.0.0.1:9/', events: ['a.b'] }, { key });
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.body.error.code, 'HERALD_FORBIDDEN_SCOPE');
      assert.equal((await h.api('GET', '/orgs/acme/webhooks', undefined, { key })).status, 200);
      const otherOrg = await h.api('GET', '/orgs/other/webhooks', undefined, { key });
      assert.equal(otherOrg.status, 404);
      assert.equal(otherOrg.body.error.code, 'HERALD_ORG_NOT_FOUND');
      // A limited key cannot mint a broader one.
      const escalate = await h.api('POST', '/api-keys', { name: 'x', scopes: ['webhooks:write'] }, { key });
      assert.equal(escalate.status, 403);
      // Keys are stored hashed: the secret text is nowhere in the table.
      const rows = await h.herald.store.db.all<{ hash: string }>('SELECT hash FROM api_keys');
      assert.ok(rows.every((r) => r.hash !== key && /^[0-9a-f]{64}$/.test(r.hash)));
      // Revoked keys stop working.
      const del = await h.api('DELETE', `/api-keys/${limited.body.id}`);
      assert.equal(del.status, 204);
      assert.equal((await h.api('GET', '/orgs/acme/webhooks', undefined, { key })).status, 401);
    });

    test('webhooks: create answers the first key; list shows failures and last_triggered_at; patch and delete', async () => {
      const w = await h.api('POST', '/orgs/acme/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['conversation.created'] });
      assert.equal(w.status, 201);
      assert.match(w.body.id, /^wh_/);
      assert.equal(w.body.state, 'enabled');
      assert.match(w.body.key.secret, /^whsec_/);
      assert.equal(w.body.key.in_use, true);
      const list = await h.api('GET', '/orgs/acme/webhooks');
      const row = list.body.data.find((x: { id: string }) => x.id === w.body.id);
      assert.equal(row.failures, 0);
      assert.equal(row.last_triggered_at, null);
      assert.equal(row.key, undefined, 'secrets are never listed');
      const p = await h.api('PATCH', `/orgs/acme/webhooks/${w.body.id}`, { state: 'disabled', events: ['a.b', 'c.d'] });
      assert.equal(p.status, 200);
      assert.equal(p.body.state, 'disabled');
      assert.deepEqual(p.body.events, ['a.b', 'c.d']);
      // Seed 001's body shape is accepted; it subscribes to every event and can be a draft.
      const seed = await h.api('POST', '/orgs/acme/webhooks', { webhook: { url: 'http://127.0.0.1:9/seed', secured: true }, published: false });
      assert.equal(seed.status, 201);
      assert.equal(seed.body.state, 'draft');
      assert.deepEqual(seed.body.events, ['*']);
      assert.equal((await h.api('DELETE', `/orgs/acme/webhooks/${seed.body.id}`)).status, 204);
      assert.equal((await h.api('GET', `/orgs/acme/webhooks/${seed.body.id}`)).body.error.code, 'HERALD_WEBHOOK_NOT_FOUND');
      // Another org's webhook is invisible.
      assert.equal((await h.api('GET', `/orgs/other/webhooks/${w.body.id}`)).status, 404);
    });

    test('keys: at most two, the last cannot be deleted, in_use marks who signs, secrets shown once', async () => {
      const w = (await h.api('POST', '/orgs/acme/webhooks', { url: 'http://127.0.0.1:9/keys', events: ['a.b'], preset: 'salesiq' })).body;
      assert.equal(w.signature.scheme, 'rsa-sha256');
      assert.equal(w.signature.header, 'x-siqsignature');
      assert.match(w.key.public_key, /BEGIN PUBLIC KEY/);
      assert.match(w.key.public_key_xml, /^<RSAKeyValue><Modulus>/);
      assert.equal(w.key.secret, undefined, 'RSA keys have no secret to show');
      const second = await h.api('POST', `/orgs/acme/webhooks/${w.id}/keys`);
      assert.equal(second.status, 201);
      assert.equal(second.body.in_use, false, 'with RSA only the oldest key signs');
      const third = await h.api('POST', `/orgs/acme/webhooks/${w.id}/keys`);
      assert.equal(third.status, 422);
      assert.equal(third.body.error.code, 'HERALD_KEY_LIMIT');
      const list = (await h.api('GET', `/orgs/acme/webhooks/${w.id}/keys`)).body.data;
      assert.deepEqual(list.map((k: { in_use: boolean }) => k.in_use), [true, false]);
      assert.equal((await h.api('DELETE', `/orgs/acme/webhooks/${w.id}/keys/${list[0].id}`)).status, 204);
      const left = (await h.api('GET', `/orgs/acme/webhooks/${w.id}/keys`)).body.data;
      assert.deepEqual(left.map((k: { id: string; in_use: boolean }) => [k.id, k.in_use]), [[list[1].id, true]]);
      const last = await h.api('DELETE', `/orgs/acme/webhooks/${w.id}/keys/${list[1].id}`);
      assert.equal(last.status, 422);
      assert.equal(last.body.error.code, 'HERALD_KEY_LAST');
      // Standard HMAC: both keys sign during rotation; the new secret is shown once, never listed.
      const std = (await h.api('POST', '/orgs/acme/webhooks', { url: 'http://127.0.0.1:9/std', events: ['a.b'] })).body;
      const added = await h.api('POST', `/orgs/acme/webhooks/${std.id}/keys`);
      assert.match(added.body.secret, /^whsec_/);
      assert.equal(added.body.in_use, true);
      const stdKeys = (await h.api('GET', `/orgs/acme/webhooks/${std.id}/keys`)).body.data;
      assert.ok(stdKeys.every((k: { secret?: string }) => k.secret === undefined));
      // Secrets are encrypted at rest: the raw store holds no plaintext secret.
      const sealed = await h.herald.store.db.all<{ sealed: string }>('SELECT sealed FROM webhook_keys WHERE webhook_id = ?', [std.id]);
      assert.ok(sealed.every((r) => !r.sealed.includes(added.body.secret.slice(6)) && r.sealed.startsWith('hb1.')));
    });

    test('quota: an org setting caps the number of webhooks', async () => {
      await h.api('POST', '/orgs', { id: 'tiny', name: 'Tiny', owner_email: 't@tiny.test', settings: { max_webhooks: 1 } });
      assert.equal((await h.api('POST', '/orgs/tiny/webhooks', { url: 'http://127.0.0.1:9/1', events: ['a.b'] })).status, 201);
      const over = await h.api('POST', '/orgs/tiny/webhooks', { url: 'http://127.0.0.1:9/2', events: ['a.b'] });
      assert.equal(over.status, 422);
      assert.equal(over.body.error.code, 'HERALD_WEBHOOK_QUOTA');
    });

    test('quota counting only salesiq webhooks (seed 002: 3 admin webhooks), and org settings patched or removed', async () => {
      const org = await h.api('POST', '/orgs', { id: 'siq', name: 'SIQ', owner_email: 's@siq.test', settings: { max_webhooks: 1, max_webhooks_counts: 'salesiq' } });
      assert.equal(org.status, 201);
      const make = (preset: string) => h.api('POST', '/orgs/siq/webhooks', { url: 'http://127.0.0.1:9/q', events: ['a.b'], preset });
      assert.equal((await make('salesiq')).status, 201);
      assert.equal((await make('standard')).status, 201, 'other presets do not count');
      assert.equal((await make('salesiq')).body.error.code, 'HERALD_WEBHOOK_QUOTA');
      const patched = await h.api('PATCH', '/orgs/siq', { settings: { max_webhooks_counts: null, retention_days: 30, alert_mail: 'off' } });
      assert.deepEqual(patched.body.settings, { max_webhooks: 1, retention_days: 30, alert_mail: 'off' });
      assert.equal((await make('standard')).body.error.code, 'HERALD_WEBHOOK_QUOTA', 'now every webhook counts');
      const bad = await h.api('PATCH', '/orgs/siq', { settings: { retention_days: 0 } });
      assert.equal(bad.status, 400);
      assert.equal((await h.api('PATCH', '/orgs/siq', { settings: { unknown: 1 } })).status, 400);
      assert.equal((await h.api('GET', '/orgs/siq')).body.settings.retention_days, 30, 'refused patches change nothing');
    });

    test('bad input is a 4xx JSON error with a stable code and changes nothing', async () => {
      const count = async () => Number((await h.herald.store.db.get<{ n: number }>('SELECT count(*) AS n FROM webhooks'))?.n);
      const before = await count();
      const cases: [string, unknown, string | undefined, number, string][] = [
        ['malformed JSON', undefined, '{"url": ', 400, 'HERALD_INVALID_JSON'],
        ['wrong type', { url: 42, events: ['a.b'] }, undefined, 400, 'HERALD_VALIDATION_FAILED'],
        ['unknown field', { url: 'http://127.0.0.1:9/', events: ['a.b'], colour: 'red' }, undefined, 400, 'HERALD_VALIDATION_FAILED'],
        ['bad event name', { url: 'http://127.0.0.1:9/', events: ['no spaces allowed'] }, undefined, 400, 'HERALD_VALIDATION_FAILED'],
        ['not a URL', { url: 'not a url', events: ['a.b'] }, undefined, 422, 'HERALD_URL_INVALID'],
        ['ftp URL', { url: 'ftp://127.0.0.1/', events: ['a.b'] }, undefined, 422, 'HERALD_URL_INVALID'],
        ['bad retry', { url: 'http://127.0.0.1:9/', events: ['a.b'], policy: { retry_schedule: ['soon'] } }, undefined, 400, 'HERALD_VALIDATION_FAILED'],
        ['array body', [1, 2], undefined, 400, 'HERALD_VALIDATION_FAILED'],
        ['custom header on standard', { url: 'http://127.0.0.1:9/', events: ['a.b'], signature: { header: 'X-Sig' } }, undefined, 422, 'HERALD_SIGNATURE_INVALID'],
      ];
      for (const [name, body, raw, status, code] of cases) {
        const r = await h.api('POST', '/orgs/acme/webhooks', body, raw === undefined ? {} : { raw });
        assert.equal(r.status, status, `${name}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, code, name);
      }
      const big = await h.api('POST', '/orgs/acme/events', { event: 'a.b', entity: { x: 'y'.repeat(70 * 1024) } });
      assert.equal(big.status, 413);
      assert.equal(big.body.error.code, 'HERALD_BODY_TOO_LARGE');
      const notJson = await h.api('POST', '/orgs/acme/events', undefined, { raw: 'event=a.b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(notJson.status, 415);
      assert.equal(await count(), before);
      const badQuery = await h.api('GET', '/orgs/acme/deliveries?limit=abc');
      assert.equal(badQuery.status, 400);
      assert.equal((await h.api('GET', '/nothing-here')).body.error.code, 'HERALD_NOT_FOUND');
    });

    test('event types: create, read, example envelope; a data event needs an app_id', async () => {
      const t = await h.api('POST', '/event-types', {
        name: 'visitor.updated', kind: 'data', description: 'A visitor changed', example: { id: 'v1' },
        schema: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
      });
      assert.equal(t.status, 201);
      assert.equal((await h.api('GET', '/event-types/visitor.updated')).body.kind, 'data');
      const ex = await h.api('GET', '/event-types/visitor.updated/example');
      assert.equal(ex.body.event, 'visitor.updated');
      assert.deepEqual(ex.body.entity, { id: 'v1' });
      const noApp = await h.api('POST', '/orgs/acme/events', { event: 'visitor.updated', entity: { id: 'v1' } });
      assert.equal(noApp.body.error.code, 'HERALD_EVENT_NEEDS_APP');
      const badEntity = await h.api('POST', '/orgs/acme/events', { event: 'visitor.updated', app_id: 'embed1', entity: { id: 5 } });
      assert.equal(badEntity.status, 400);
      assert.equal(badEntity.body.error.details.problems[0].path, '/entity/id');
      assert.equal((await h.api('POST', '/orgs/acme/events', { event: 'visitor.updated', app_id: 'embed1', entity: { id: 'v1' } })).status, 202);
    });

    test('presets are plain data with the seed sentences they implement', async () => {
      const r = await h.api('GET', '/presets');
      assert.deepEqual(r.body.data.map((p: { name: string }) => p.name), ['standard', 'salesiq', 'smarterbot', 'dialog-insight']);
      const salesiq = r.body.data[1];
      assert.deepEqual(salesiq.policy.retry_schedule, ['1m', '1m', '1m']);
      assert.equal(salesiq.policy.timeout_ms, 5000);
      assert.equal(salesiq.signature.header, 'x-siqsignature');
      assert.ok(salesiq.sources.some((s: { seed: string }) => s.seed === '001'));
      const smarterbot = r.body.data[2];
      assert.deepEqual(smarterbot.policy.success.bodies, ['{"status":"success"}', '{"status":"Success: test request received"}']);
      assert.equal(smarterbot.payload, 'raw');
      assert.deepEqual(r.body.data[3].policy.success.status, [200]);
    });

    test('OpenAPI document is served and lists the contract routes', async () => {
      const res = await fetch(`${h.url}/openapi.json`);
      const doc = (await res.json()) as { paths: Record<string, unknown> };
      for (const p of ['/api/v1/orgs', '/api/v1/orgs/{org}/webhooks', '/api/v1/orgs/{org}/events', '/api/v1/orgs/{org}/events/batch', '/api/v1/orgs/{org}/deliveries/{id}/retry']) {
        assert.ok(doc.paths[p], `missing ${p}`);
      }
      const health = await fetch(`${h.url}/healthz`);
      assert.equal(health.status, 200);
      const metrics = await (await fetch(`${h.url}/metrics`)).text();
      assert.match(metrics, /herald_deliveries_due/);
      assert.match(metrics, /^herald_requests_waiting_for_origin 0$/m);
    });

    // Last in this suite: it breaks the store on purpose.
    test('a server-side failure answers 500 HERALD_INTERNAL with the request id to look up in the log', async () => {
      await h.herald.store.db.run('DROP TABLE apps');
      const r = await h.api('GET', '/orgs/acme/apps');
      assert.equal(r.status, 500);
      assert.equal(r.body.error.code, 'HERALD_INTERNAL');
      assert.ok(r.body.error.details.request_id);
      assert.ok(r.body.error.message.includes(String(r.body.error.details.request_id)));
    });
  });
}
