import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PortalTokens } from '../src/api/portal-token.js';
import { eventually, TestHerald } from './helpers/herald.js';
import { TestReceiver } from './helpers/receiver.js';
import { STORE_KINDS } from './helpers/stores.js';

test('portal tokens: genuine and unexpired only', () => {
  const tokens = new PortalTokens(Buffer.alloc(32, 7));
  const now = Date.now();
  const t = tokens.issue({ o: 'acme', a: null, x: 'read', e: now + 60_000, u: null });
  assert.equal(tokens.verify(t, now)?.o, 'acme');
  assert.equal(tokens.verify(t, now + 60_001), null, 'expired');
  const [body, mac] = t.slice(4).split('.');
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), o: 'other' })).toString('base64url');
  assert.equal(tokens.verify(`hpt_${forged}.${mac}`, now), null, 'claims changed after signing');
  assert.equal(new PortalTokens(Buffer.alloc(32, 8)).verify(t, now), null, 'another key');
  assert.equal(tokens.verify(`${t}.x`, now), null);
});

for (const kind of STORE_KINDS) {
  describe(`portal links, whoami, stats and delivery filters (${kind})`, () => {
    let h: TestHerald;
    let rx: TestReceiver;
    let inApp: any;
    let otherApp: any;
    before(async () => {
      rx = await TestReceiver.start();
      h = await TestHerald.start(kind);
      for (const org of ['acme', 'globex']) await h.api('POST', '/orgs', { id: org, name: org, owner_email: `o@${org}.test` });
      await h.api('POST', '/orgs/acme/apps', { id: 'shop' });
      await h.api('POST', '/orgs/acme/apps', { id: 'blog' });
      await h.api('POST', '/event-types', { name: 'order.paid', kind: 'data', example: { total: 3 } });
      inApp = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/shop'), events: ['order.paid'], apps: ['shop'] })).body;
      otherApp = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/blog'), events: ['order.paid'], apps: ['blog'] })).body;
    });
    after(async () => {
      await h.stop();
      await rx.close();
    });

    const link = async (body: Record<string, unknown>, org = 'acme') => {
      const r = await h.api('POST', `/orgs/${org}/portal-links`, body);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body;
    };

    test('a read-only link sees its org and cannot change anything', async () => {
      const l = await link({ access: 'read', ttl_seconds: 600 });
      assert.match(l.url, /\/#\/portal\?token=hpt_/);
      assert.equal(l.access, 'read');
      assert.ok(Date.parse(l.expires_at) > Date.now() + 590_000);
      const who = await h.api('GET', '/whoami', undefined, { key: l.token });
      assert.deepEqual([who.body.kind, who.body.org_id, who.body.app_id, who.body.access], ['portal', 'acme', null, 'read']);
      assert.ok(who.body.scopes.includes('webhooks:read') && !who.body.scopes.includes('webhooks:write'));
      const list = await h.api('GET', '/orgs/acme/webhooks', undefined, { key: l.token });
      assert.equal(list.body.data.length, 2);
      const patch = await h.api('PATCH', `/orgs/acme/webhooks/${inApp.id}`, { description: 'x' }, { key: l.token });
      assert.equal(patch.status, 403);
      assert.equal((await h.api('GET', '/orgs/globex/webhooks', undefined, { key: l.token })).status, 404, 'other orgs do not exist for it');
      assert.equal((await h.api('POST', '/orgs/acme/portal-links', {}, { key: l.token })).status, 403, 'a link cannot mint links');
      assert.equal((await h.api('GET', '/api-keys', undefined, { key: l.token })).status, 403);
    });

    test('a manage link limited to an app sees and changes only that app', async () => {
      const l = await link({ app_id: 'shop', user_email: 'dev@shop.test' });
      const key = l.token;
      const list = (await h.api('GET', '/orgs/acme/webhooks', undefined, { key })).body.data;
      assert.deepEqual(list.map((w: any) => w.id), [inApp.id]);
      assert.equal((await h.api('GET', `/orgs/acme/webhooks/${otherApp.id}`, undefined, { key })).status, 404);
      assert.equal((await h.api('GET', `/orgs/acme/webhooks/${otherApp.id}/deliveries`, undefined, { key })).status, 404);
      assert.equal((await h.api('GET', '/orgs/acme/deliveries', undefined, { key })).body.error.code, 'HERALD_PORTAL_APP_ONLY');
      const made = await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/mine'), events: ['order.paid'] }, { key });
      assert.equal(made.status, 201);
      assert.deepEqual(made.body.apps, ['shop'], 'made inside the app');
      assert.equal(made.body.created_by, 'portal:dev@shop.test');
      const escape = await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/x'), events: ['order.paid'], apps: ['blog'] }, { key });
      assert.equal(escape.status, 403);
      const move = await h.api('PATCH', `/orgs/acme/webhooks/${made.body.id}`, { apps: ['blog'] }, { key });
      assert.equal(move.status, 403);
      assert.equal((await h.api('PATCH', `/orgs/acme/webhooks/${made.body.id}`, { description: 'mine' }, { key })).status, 200);
      assert.equal((await h.api('DELETE', `/orgs/acme/webhooks/${made.body.id}`, undefined, { key })).status, 204);
      assert.equal((await h.api('GET', '/orgs/acme/webhooks', undefined, { key })).body.data.length, 1, 'nothing of another app changed');
    });

    test('bad link requests change nothing and say why', async () => {
      assert.equal((await h.api('POST', '/orgs/acme/portal-links', { app_id: 'nope' })).body.error.code, 'HERALD_APP_NOT_FOUND');
      assert.equal((await h.api('POST', '/orgs/acme/portal-links', { ttl_seconds: 5 })).status, 400);
      assert.equal((await h.api('POST', '/orgs/acme/portal-links', { access: 'admin' })).status, 400);
      const bad = await h.api('GET', '/orgs/acme/webhooks', undefined, { key: 'hpt_e30.bm9wZQ' });
      assert.equal(bad.status, 401);
      assert.equal(bad.body.error.code, 'HERALD_PORTAL_LINK_INVALID');
    });

    test('stats: per-minute outcomes and latency, and 24 h figures on the list', async () => {
      let n = 0;
      rx.respond((r, res) => {
        res.statusCode = r.path !== '/stats' || n++ % 2 === 0 ? 200 : 400;
        res.end();
      });
      const w = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/stats'), events: ['order.paid'], apps: ['shop'], preset: 'smarterbot', policy: { retry_schedule: [] , success: { status: ['2xx'], bodies: null } } })).body;
      for (let i = 0; i < 4; i++) await h.api('POST', '/orgs/acme/events', { event: 'order.paid', app_id: 'shop', entity: { i } });
      const stats = await eventually(async () => {
        const s = (await h.api('GET', `/orgs/acme/webhooks/${w.id}/stats`)).body;
        return s.totals.attempts >= 4 ? s : null;
      });
      assert.equal(stats.bucket_seconds, 60);
      assert.equal(stats.totals.succeeded + stats.totals.failed, stats.totals.attempts);
      assert.ok(stats.totals.failed >= 1 && stats.totals.succeeded >= 1);
      assert.equal(stats.buckets.reduce((a: number, b: any) => a + b.succeeded + b.failed, 0), stats.totals.attempts);
      assert.ok(stats.buckets.every((b: any) => b.p50_ms !== null && b.p99_ms >= b.p50_ms));
      const listed = (await h.api('GET', '/orgs/acme/webhooks')).body.data.find((x: any) => x.id === w.id);
      assert.equal(listed.attempts_24h, stats.totals.attempts);
      assert.equal(listed.failures_24h, stats.totals.failed);
      assert.equal(listed.success_rate_24h, stats.totals.succeeded / stats.totals.attempts);
      assert.equal((await h.api('GET', `/orgs/acme/webhooks/${w.id}/stats?hours=0`)).status, 400);
    });

    test('delivery log filters by event type and time', async () => {
      await h.api('POST', '/event-types', { name: 'order.refunded', kind: 'data' });
      const w = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/filters'), events: ['order.paid', 'order.refunded'], apps: ['shop'] })).body;
      const t0 = new Date().toISOString();
      await h.api('POST', '/orgs/acme/events', { event: 'order.paid', app_id: 'shop', entity: {} });
      await h.api('POST', '/orgs/acme/events', { event: 'order.refunded', app_id: 'shop', entity: {} });
      const path = `/orgs/acme/webhooks/${w.id}/deliveries`;
      assert.equal((await h.api('GET', path)).body.data.length, 2);
      assert.equal((await h.api('GET', `${path}?event_type=order.refunded`)).body.data.length, 1);
      assert.equal((await h.api('GET', `${path}?since=${encodeURIComponent(t0)}`)).body.data.length, 2);
      assert.equal((await h.api('GET', `${path}?until=${encodeURIComponent(t0)}`)).body.data.length, 0);
      assert.equal((await h.api('GET', `${path}?since=yesterday`)).status, 400);
    });
  });
}
