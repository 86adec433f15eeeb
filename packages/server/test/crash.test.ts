import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { eventually } from './helpers/herald.js';
import { HeraldProcess } from './helpers/process.js';
import { TestReceiver } from './helpers/receiver.js';
import { freshStore, STORE_KINDS, type TestStore } from './helpers/stores.js';

/**
 * kill -9 of `herald serve` at any moment loses no acknowledged event: after a restart every
 * delivery is completed (duplicates allowed, always with the same webhook-id).
 */
for (const kind of STORE_KINDS) {
  describe(`crash safety (${kind})`, () => {
    const cleanups: (() => Promise<unknown>)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    test('kill -9 during ingest and delivery loses nothing acknowledged', async () => {
      const store: TestStore = await freshStore(kind);
      const rx = await TestReceiver.start();
      cleanups.push(() => store.cleanup(), () => rx.close());
      // A slowish receiver keeps many deliveries in flight when the process dies.
      rx.respond((_r, res) => void setTimeout(() => res.end('ok'), 5));
      const env = { HERALD_LEASE_MS: '2000' };
      let herald = await HeraldProcess.start(store, env);
      cleanups.push(() => herald.stop());
      assert.equal((await herald.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'o@acme.test' })).status, 201);
      assert.equal((await herald.api('POST', '/orgs/acme/webhooks', { url: rx.url('/crash'), events: ['crash.test'] })).status, 201);

      // Ingest continuously from 16 concurrent clients; remember what was acknowledged.
      const acked = new Set<string>();
      let stopIngest = false;
      const client = async (c: number) => {
        for (let i = 0; !stopIngest && i < 2000; i++) {
          try {
            const r = await herald.api('POST', '/orgs/acme/events', { event: 'crash.test', entity: { id: `${c}-${i}` } });
            if (r.status === 202) acked.add(r.body.id);
          } catch {
            return; // the process died mid-request: not acknowledged
          }
        }
      };
      const clients = Array.from({ length: 16 }, (_, c) => client(c));
      await eventually(async () => rx.posts.length >= 300 && acked.size >= 500, 30_000);
      await herald.crash();
      stopIngest = true;
      await Promise.all(clients);
      assert.ok(acked.size >= 500, `acknowledged ${acked.size}`);

      herald = await HeraldProcess.start(store, env);
      cleanups.push(() => herald.stop());
      const pending = async () => {
        let missing = 0;
        for (const id of acked) {
          const e = (await herald.api('GET', `/orgs/acme/events/${id}`)).body;
          if (!e.delivery_list || e.delivery_list.length !== 1 || e.delivery_list[0].status !== 'succeeded') missing++;
        }
        return missing;
      };
      await eventually(async () => (await pending()) === 0, 60_000, 500);
      // Every acknowledged event reached the receiver, under its delivery's one webhook-id.
      const seen = new Set(rx.posts.map((p) => JSON.parse(p.body).entity.id as string));
      const byDelivery = new Map<string, Set<string>>();
      for (const p of rx.posts) {
        const id = String(p.headers['webhook-id']);
        const set = byDelivery.get(id) ?? new Set();
        set.add(JSON.parse(p.body).entity.id);
        byDelivery.set(id, set);
      }
      assert.ok([...byDelivery.values()].every((s) => s.size === 1), 'a webhook-id always names the same event');
      assert.ok(seen.size >= acked.size);
      assert.equal(await herald.stop(), 0, 'graceful stop exits 0');
    });
  });
}
