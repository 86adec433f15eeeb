import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, TestHerald } from './helpers/herald.js';
import { TestReceiver } from './helpers/receiver.js';
import { STORE_KINDS } from './helpers/stores.js';

interface Page {
  data: Record<string, unknown>[];
  next_cursor: string | null;
}

/** One convention on every list (docs/api.md#pagination), and the event log. */
for (const kind of STORE_KINDS) {
  describe(`pagination and the event log (${kind})`, () => {
    let h: TestHerald;
    let receiver: TestReceiver;
    const org = 'pages';

    /** Every page of a list, checking that no cursor leads to an empty page. */
    const walk = async (path: string, limit: number, key = 'id') => {
      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 20; i++) {
        const sep = path.includes('?') ? '&' : '?';
        const res: { status: number; body: Page } = await h.api<Page>('GET', `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        if (cursor !== null) assert.ok(res.body.data.length > 0, `${path}: a cursor led to an empty page`);
        sizes.push(res.body.data.length);
        seen.push(...res.body.data.map((r) => String(r[key])));
        cursor = res.body.next_cursor;
        if (cursor === null) return { seen, sizes };
      }
      throw new Error(`${path}: more than 20 pages`);
    };

    before(async () => {
      receiver = await TestReceiver.start();
      h = await TestHerald.start(kind);
      assert.equal((await h.api('POST', '/orgs', { id: org, name: 'Pages', owner_email: 'o@pages.test' })).status, 201);
      await h.api('POST', '/event-types', { name: 'page.made', kind: 'admin' });
      await h.api('POST', '/event-types', { name: 'page.read', kind: 'data' });
    });
    after(async () => {
      await h.stop();
      await receiver.close();
    });

    test('an empty list: no data, no cursor', async () => {
      for (const path of [`/orgs/${org}/apps`, `/orgs/${org}/webhooks`, `/orgs/${org}/deliveries`, `/orgs/${org}/events`]) {
        const res = await h.api<Page>('GET', `${path}?limit=1`);
        assert.deepEqual(res.body, { data: [], next_cursor: null }, path);
      }
    });

    test('exactly limit rows: one page and no cursor; limit + 1: a cursor, then one row and no cursor', async () => {
      for (const id of ['a1', 'a2', 'a3']) assert.equal((await h.api('POST', `/orgs/${org}/apps`, { id })).status, 201);
      assert.deepEqual(await walk(`/orgs/${org}/apps`, 3), { seen: ['a1', 'a2', 'a3'], sizes: [3] });
      assert.deepEqual(await walk(`/orgs/${org}/apps`, 2), { seen: ['a1', 'a2', 'a3'], sizes: [2, 1] });
      assert.deepEqual(await walk(`/orgs/${org}/apps`, 1), { seen: ['a1', 'a2', 'a3'], sizes: [1, 1, 1] });
    });

    test('every list takes limit and cursor and answers {data, next_cursor}', async () => {
      const types = await walk('/event-types', 1, 'name');
      assert.deepEqual(types.seen.filter((n) => n.startsWith('page.')), ['page.made', 'page.read']);
      assert.deepEqual([...types.seen].sort(), types.seen, 'event types by name');
      const presets = await walk('/presets', 3, 'name');
      assert.equal(presets.seen.length, new Set(presets.seen).size);
      assert.ok(presets.seen.includes('standard'));
      for (let i = 0; i < 3; i++) await h.api('POST', '/api-keys', { name: `k${i}`, scopes: ['orgs:read'], org_id: org });
      const keys = await walk('/api-keys', 2);
      assert.ok(keys.seen.length >= 3);
      assert.deepEqual([...keys.seen].sort(), keys.seen, 'API keys by id');
      const wh = await h.api('POST', `/orgs/${org}/webhooks`, { url: receiver.url(), events: ['page.made', 'page.read'] });
      await h.api('POST', `/orgs/${org}/webhooks/${wh.body.id}/keys`);
      assert.deepEqual((await walk(`/orgs/${org}/webhooks/${wh.body.id}/keys`, 1)).sizes, [1, 1]);
      assert.equal((await h.api('GET', `/orgs/${org}/webhooks/${wh.body.id}/keys?cursor=key_unknown`)).body.error.code, 'HERALD_BAD_REQUEST');
      assert.deepEqual((await walk(`/orgs/${org}/webhooks`, 1)).seen, [wh.body.id]);
      assert.deepEqual((await walk('/orgs', 1)).seen, [org]);
      for (const path of ['/orgs?limit=0', '/orgs?limit=251', '/event-types?limit=x']) {
        assert.equal((await h.api('GET', path)).body.error.code, 'HERALD_VALIDATION_FAILED', path);
      }
    });

    test('the older after and before still work for one release; with cursor they are refused', async () => {
      await h.api('POST', '/orgs', { id: 'pages2', name: 'P2', owner_email: 'o@p2.test' });
      const first = await h.api<Page>('GET', '/orgs?limit=1');
      const viaAfter = await h.api<Page>('GET', `/orgs?limit=1&after=${first.body.next_cursor}`);
      const viaCursor = await h.api<Page>('GET', `/orgs?limit=1&cursor=${first.body.next_cursor}`);
      assert.deepEqual(viaAfter.body, viaCursor.body);
      assert.equal((await h.api('GET', `/orgs?cursor=a&after=a`)).body.error.code, 'HERALD_BAD_REQUEST');
      assert.equal((await h.api('GET', `/orgs/${org}/deliveries?cursor=a&before=a`)).body.error.code, 'HERALD_BAD_REQUEST');
    });

    test('events: listed newest first with their deliveries counted, filtered by type, app and time; one event with its deliveries', async () => {
      await h.api('POST', `/orgs/${org}/apps`, { id: 'web' });
      const t0 = new Date(Date.now() - 1000).toISOString();
      const made = [];
      for (let i = 0; i < 3; i++) made.push((await h.api('POST', `/orgs/${org}/events`, { event: 'page.made', entity: { i } })).body.id as string);
      const read = (await h.api('POST', `/orgs/${org}/events`, { event: 'page.read', app_id: 'web', entity: { r: 1 } })).body.id as string;
      const all = await walk(`/orgs/${org}/events`, 2);
      assert.deepEqual(all.seen, [read, ...[...made].reverse()]);
      assert.deepEqual(all.sizes, [2, 2]);
      assert.deepEqual((await walk(`/orgs/${org}/events?type=page.made`, 5)).seen, [...made].reverse());
      assert.deepEqual((await walk(`/orgs/${org}/events?app=web`, 5)).seen, [read]);
      assert.deepEqual((await walk(`/orgs/${org}/events?since=${encodeURIComponent(t0)}`, 10)).seen.length, 4);
      assert.deepEqual((await walk(`/orgs/${org}/events?until=${encodeURIComponent(t0)}`, 10)).seen, []);
      assert.equal((await h.api('GET', `/orgs/${org}/events?since=yesterday`)).status, 400);

      await eventually(async () => {
        const page = await h.api<Page>('GET', `/orgs/${org}/events?type=page.made&limit=1`);
        const counts = page.body.data[0]!.delivery_counts as Record<string, number>;
        return counts.succeeded === 1 ? counts : undefined;
      });
      const one = await h.api('GET', `/orgs/${org}/events/${made[2]}`);
      assert.equal(one.status, 200);
      assert.equal(one.body.event, 'page.made');
      assert.deepEqual(one.body.entity, { i: 2 });
      assert.equal(one.body.delivery_counts.succeeded, 1);
      assert.equal(one.body.delivery_list.length, 1);
      assert.equal(one.body.delivery_list[0].attempts, 1);
      assert.equal(one.body.delivery_list_next_cursor, null);
      assert.equal((await h.api('GET', `/orgs/${org}/events/evt_missing`)).body.error.code, 'HERALD_EVENT_NOT_FOUND');

      // Deliveries follow the same convention, newest first.
      const deliveries = await walk(`/orgs/${org}/deliveries`, 3);
      assert.equal(deliveries.seen.length, 4);
      assert.deepEqual([...deliveries.seen].sort().reverse(), deliveries.seen);
    });

    test('a portal link limited to one app lists that app\'s events only', async () => {
      const link = await h.api('POST', `/orgs/${org}/portal-links`, { app_id: 'web', access: 'read' });
      const page = await h.api<Page>('GET', `/orgs/${org}/events`, undefined, { key: link.body.token });
      assert.equal(page.status, 200);
      assert.deepEqual(page.body.data.map((e) => e.app_id), ['web']);
      assert.equal((await h.api('GET', `/orgs/${org}/events?app=other`, undefined, { key: link.body.token })).body.error.code, 'HERALD_PORTAL_APP_ONLY');
    });

    test("a portal link limited to one app pages through that app's webhooks without empty pages", async () => {
      const mine: string[] = [];
      for (const apps of [['web'], null, null, ['web'], null]) {
        const made = await h.api('POST', `/orgs/${org}/webhooks`, { url: receiver.url(), events: ['page.read'], apps });
        assert.equal(made.status, 201, JSON.stringify(made.body));
        if (apps) mine.push(made.body.id);
      }
      const link = (await h.api('POST', `/orgs/${org}/portal-links`, { app_id: 'web', access: 'read' })).body.token as string;
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 5; i++) {
        const res: { body: Page } = await h.api<Page>('GET', `/orgs/${org}/webhooks?limit=1${cursor ? `&cursor=${cursor}` : ''}`, undefined, { key: link });
        assert.equal(res.body.data.length, 1, 'no empty page');
        seen.push(String(res.body.data[0]!.id));
        cursor = res.body.next_cursor;
        if (cursor === null) break;
      }
      assert.deepEqual(seen, mine);
    });
  });
}
