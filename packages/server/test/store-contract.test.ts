import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { planFanOut } from '../src/engine/fan-out.js';
import { leasingFresh, storedFresh, type FreshDelivery } from '../src/engine/fresh-deliveries.js';
import { newId } from '../src/ids.js';
import { DIGEST_EVENT_TYPE } from '../src/model.js';
import {
  dueDigests, earliestDigestAt, insertDigest, lockWebhookRow, moveDigestAt, releaseWaiting, setDeliveryMode, waitingMembers,
} from '../src/store/queries/digests.js';
import { recordDirectDelivery, requeueBatch } from '../src/store/queries/direct.js';
import { releaseFifo, unstickFifo } from '../src/store/queries/fifo.js';
import { insertOrg } from '../src/store/queries/orgs.js';
import { nextPullDueAt, pulledDeliveries, setPull } from '../src/store/queries/pull.js';
import { deleteWebhook } from '../src/store/queries/webhooks.js';
import { openStore, type Store } from '../src/store/store.js';
import type { DeliveryResult } from '../src/store/types.js';
import { addWebhook, attemptFor, event, result, settlePending, testLease } from './helpers/store-fixtures.js';
import { requeueDelivery } from '../src/store/queries/deliveries.js';
import { freshStore, STORE_KINDS, type TestStore } from './helpers/stores.js';

for (const kind of STORE_KINDS) {
  describe(`store contract (${kind})`, () => {
    let ts: TestStore;
    let store: Store;
    const webhookId = 'wh_contract';

    before(async () => {
      ts = await freshStore(kind);
      store = await openStore({ dataDir: ts.dataDir, databaseUrl: ts.databaseUrl });
      const now = Date.now();
      await insertOrg(store.db, { id: 'o', name: 'O', owner_email: 'o@o.test', settings: {}, created_at: now, updated_at: now });
      await addWebhook(store.db, webhookId, ['a.b']);
    });
    after(async () => {
      await store.close();
      await ts.cleanup();
    });

    test('ingest fans out to subscribers and stores nothing for unsubscribed types', async () => {
      const [r1, r2] = await store.hot.ingest([[event('o', 'a.b')], [event('o', 'x.y')]], planFanOut);
      assert.deepEqual(r1?.ok && r1.events.map((e) => e.deliveries), [1]);
      assert.deepEqual(r2?.ok && r2.events.map((e) => e.deliveries), [0]);
    });

    test('idempotency: same key and body replays, a different body conflicts, groups are all or nothing', async () => {
      const first = await store.hot.ingest([[event('o', 'a.b', 'k1', 'h1')]], planFanOut);
      assert.ok(first[0]?.ok);
      const firstId = first[0].ok ? first[0].events[0]!.event_id : '';
      const again = await store.hot.ingest([[event('o', 'a.b', 'k1', 'h1')]], planFanOut);
      assert.ok(again[0]?.ok && again[0].events[0]!.replayed && again[0].events[0]!.event_id === firstId);
      const before = await store.db.get<{ n: number }>('SELECT count(*) AS n FROM events');
      const conflict = await store.hot.ingest([[event('o', 'a.b', 'fresh', 'h'), event('o', 'a.b', 'k1', 'other')]], planFanOut);
      assert.deepEqual(conflict[0], { ok: false, conflict: 'k1' });
      const afterCount = await store.db.get<{ n: number }>('SELECT count(*) AS n FROM events');
      assert.equal(Number(afterCount?.n), Number(before?.n), 'a conflicting group stores none of its events');
    });

    test('claim leases due deliveries once; a second claim gets none until the lease runs out', async () => {
      await settlePending(store.db);
      await store.hot.ingest([[event('o', 'a.b'), event('o', 'a.b'), event('o', 'a.b')]], planFanOut);
      const now = Date.now();
      const a = await store.hot.claim(10, now, 60_000, 'tok-a');
      assert.equal(a.length, 3);
      assert.ok(a.every((d) => d.lease_token === 'tok-a' && d.webhook_revision === 1 && d.webhook_state === 'enabled'));
      assert.equal(a[0]!.entity, '{"a":1}');
      assert.equal((await store.hot.claim(10, now, 60_000, 'tok-b')).length, 0);
      // After the lease expires, another worker takes them: crash recovery.
      const b = await store.hot.claim(10, now + 61_000, 60_000, 'tok-b');
      assert.equal(b.length, 3);
    });

    test('fencing: a worker whose lease passed to another cannot overwrite the result', async () => {
      const rows = await store.db.all<{ id: string }>(`SELECT id FROM deliveries WHERE status = 'pending' ORDER BY id`);
      const stale: DeliveryResult = {
        delivery_id: rows[0]!.id, webhook_id: webhookId, lease_token: 'tok-a', status: 'failed', next_attempt_at: null,
        attempt: attemptFor(rows[0]!.id, webhookId, 'failure'),
      };
      const current: DeliveryResult = {
        delivery_id: rows[0]!.id, webhook_id: webhookId, lease_token: 'tok-b', status: 'succeeded', next_attempt_at: null,
        attempt: attemptFor(rows[0]!.id, webhookId, 'success'),
      };
      const r1 = await store.hot.complete([stale], Date.now());
      assert.deepEqual(r1.fenced, [rows[0]!.id]);
      const r2 = await store.hot.complete([current], Date.now());
      assert.equal(r2.applied, 1);
      const d = await store.db.get<{ status: string; attempts: number }>('SELECT status, attempts FROM deliveries WHERE id = ?', [rows[0]!.id]);
      assert.equal(d?.status, 'succeeded');
      assert.equal(Number(d?.attempts), 1);
      const attempts = await store.db.get<{ n: number }>('SELECT count(*) AS n FROM attempts WHERE delivery_id = ?', [rows[0]!.id]);
      assert.equal(Number(attempts?.n), 2, 'both attempts happened and both are in the log');
      const w = await store.db.get<{ successes_total: number; failures_total: number; consecutive_failures: number }>(
        'SELECT successes_total, failures_total, consecutive_failures FROM webhooks WHERE id = ?', [webhookId]);
      assert.equal(Number(w?.successes_total), 1);
      assert.equal(Number(w?.consecutive_failures), 0);
    });

    test('renew extends a lease; release makes deliveries due at once; nextDueAt sees both', async () => {
      await settlePending(store.db);
      await store.hot.ingest([[event('o', 'a.b')]], planFanOut);
      const now = Date.now();
      const [d] = await store.hot.claim(1, now, 1000, 'tok-r');
      assert.ok(d);
      // A lease is renewed and released by delivery id, fenced by its token: another token's is left alone.
      await store.hot.renew({ ids: [d.id], tokens: ['tok-other'] }, now + 90_000);
      assert.equal(await store.hot.nextDueAt(), now + 1000);
      await store.hot.renew({ ids: [d.id], tokens: ['tok-r'] }, now + 50_000);
      assert.equal(await store.hot.nextDueAt(), now + 50_000);
      assert.equal((await store.hot.claim(1, now + 2000, 1000, 'tok-x')).length, 0, 'renewed lease still held');
      await store.hot.release({ ids: [d.id], tokens: ['tok-other'] }, now);
      assert.equal(await store.hot.nextDueAt(), now + 50_000, 'released only under its own token');
      await store.hot.release({ ids: [d.id], tokens: ['tok-r'] }, now);
      assert.equal(await store.hot.nextDueAt(), now);
      const again = await store.hot.claim(1, now, 1000, 'tok-y');
      assert.equal(again[0]?.id, d.id);
    });

    test('a retry scheduled for later is not claimed before its time', async () => {
      const [d] = await store.hot.claim(1, Date.now() + 5000, 1000, 'tok-z');
      if (d) {
        const at = Date.now() + 100_000;
        await store.hot.complete([{ delivery_id: d.id, webhook_id: webhookId, lease_token: 'tok-z', status: 'pending', next_attempt_at: at, attempt: attemptFor(d.id, webhookId, 'failure') }], Date.now());
        assert.equal((await store.hot.claim(10, at - 1, 1000, 't1')).length, 0);
        assert.equal((await store.hot.claim(10, at, 1000, 't2')).length, 1);
      } else {
        assert.fail('expected a pending delivery to claim');
      }
    });
    /** Every earlier test's leftovers out of the way: each test below claims what it ingests. */
    const settle = () => settlePending(store.db);
    const statusOf = async (id: string) => (await store.db.get<{ status: string }>('SELECT status FROM deliveries WHERE id = ?', [id]))?.status;
    const webhookRow = (id: string) =>
      store.db.get<{ state: string; state_reason: string | null; revision: number }>('SELECT state, state_reason, revision FROM webhooks WHERE id = ?', [id]);

    test('fifo: one delivery in flight per webhook, the next released only when the head finishes, oldest first', async () => {
      await settle();
      await addWebhook(store.db, 'wh_fifo', ['fifo.e'], { policy: { ordering: 'fifo' } });
      for (const n of [1, 2, 3]) await store.hot.ingest([[event('o', 'fifo.e', null, null, `{"n":${n}}`)]], planFanOut);
      let now = Date.now() + 10;
      const [head, ...more] = await store.hot.claim(10, now, 60_000, 'f1');
      assert.equal(more.length, 0, 'only the head is due');
      assert.ok(head?.fifo);
      assert.equal(head.entity, '{"n":1}');
      // A retry keeps it the head: nothing else is released.
      await store.hot.complete([result(head, 'f1', 'pending', { next_attempt_at: now + 1000, fifo: true })], now);
      assert.equal((await store.hot.claim(10, now + 500, 60_000, 'f2')).length, 0);
      assert.equal(await store.hot.nextDueAt(), now + 1000, 'parked deliveries are not due');
      const [again] = await store.hot.claim(10, now + 1000, 60_000, 'f3');
      assert.equal(again?.id, head.id);
      await store.hot.complete([result(head, 'f3', 'succeeded', { fifo: true })], now + 1000);
      now += 2000;
      const [second, ...none] = await store.hot.claim(10, now, 1000, 'f4');
      assert.equal(none.length, 0);
      assert.equal(second?.entity, '{"n":2}');
      // Its lease runs out and another worker takes it: the first worker's late result is fenced and releases nothing.
      const [retaken] = await store.hot.claim(10, now + 1001, 60_000, 'f5');
      assert.equal(retaken?.id, second.id);
      const stale = await store.hot.complete([result(second, 'f4', 'succeeded', { fifo: true })], now + 1002);
      assert.deepEqual(stale.fenced, [second.id]);
      assert.equal((await store.hot.claim(10, now + 1003, 60_000, 'f6')).length, 0, 'a fenced result does not release the next');
      await store.hot.complete([result(second, 'f5', 'failed', { fifo: true })], now + 1004);
      const [third] = await store.hot.claim(10, now + 1005, 60_000, 'f7');
      assert.equal(third?.entity, '{"n":3}', 'a head that failed for good releases the next as well');
    });

    test('fresh deliveries: an ingest writes those its worker takes leased to it; claims leave them until the lease ends, and take the rest at once', async () => {
      await settle();
      await addWebhook(store.db, 'wh_fresh_fifo', ['fresh.e'], { policy: { ordering: 'fifo' } });
      await addWebhook(store.db, 'wh_fresh_off', ['fresh.e'], { state: 'disabled' });
      await addWebhook(store.db, 'wh_fresh', ['fresh.e']);
      const now = Date.now();
      // The worker has room for one.
      const lease = testLease('fresh-1', now + 60_000, 1);
      const noted = new Map<string, FreshDelivery[]>();
      const events = [event('o', 'fresh.e'), event('o', 'fresh.e')];
      const [r] = await store.hot.ingest([events], leasingFresh(planFanOut, lease, noted));
      assert.deepEqual(r?.ok && r.events.map((e) => e.deliveries), [3, 3], 'the fifo, disabled and plain webhook each get one');
      assert.deepEqual(lease.offered, ['wh_fresh', 'wh_fresh'], 'only the plain, enabled webhook\'s are offered to the worker');
      const fresh = storedFresh(noted, events.map((e) => e.id));
      assert.deepEqual(fresh.map((f) => f.id), lease.taken, 'the one it took is noted to be sent');
      assert.ok(fresh.every((f) => f.subscriber.revision === 1 && f.subscriber.state === 'enabled'));
      const [taken] = lease.taken;
      const row = await store.db.get<{ lease_token: string | null; next_attempt_at: number | string }>(
        'SELECT lease_token, next_attempt_at FROM delivery_queue WHERE delivery_id = ?', [taken!]);
      assert.deepEqual([row?.lease_token, Number(row?.next_attempt_at)], ['fresh-1', now + 60_000], 'stored leased, until the lease ends');
      const claimed = await store.hot.claim(10, now + 5, 60_000, 'fresh-2');
      assert.deepEqual(claimed.map((c) => c.webhook_id).sort(), ['wh_fresh', 'wh_fresh_fifo'],
        'a claim takes the fifo head and the plain delivery the worker had no room for, at once');
      assert.ok(!claimed.some((c) => c.id === taken), 'never the leased one');
      // A leased fresh delivery completes like a claimed one (its lease token fences it).
      const report = await store.hot.complete([result({ id: taken!, webhook_id: 'wh_fresh' }, 'fresh-1', 'succeeded')], now + 10);
      assert.equal(report.applied, 1);
      assert.equal(await statusOf(taken!), 'succeeded');
      // One whose worker never sent it (it died) is claimed once its lease ends.
      const lapsed = testLease('fresh-3', now + 1000, 1);
      await store.hot.ingest([[event('o', 'fresh.e')]], leasingFresh(planFanOut, lapsed, new Map()));
      assert.equal((await store.hot.claim(10, now + 999, 60_000, 'fresh-4')).filter((c) => c.webhook_id === 'wh_fresh').length, 0);
      const late = await store.hot.claim(10, now + 1000, 60_000, 'fresh-5');
      assert.ok(late.some((c) => c.id === lapsed.taken[0] && c.attempts === 0), 'claimed when the lease ends, never attempted');
      await store.hot.complete(claimed.concat(late).map((c) => result(c, c.lease_token, 'succeeded', { fifo: c.fifo })), now + 1001);
    });

    test('pull: a poll webhook\'s deliveries are the consumer\'s alone, leased once per lease and fenced; switching back hands the rest to the worker', async () => {
      await settle();
      await addWebhook(store.db, 'wh_pull', ['pull.e']);
      for (const n of [1, 2, 3]) await store.hot.ingest([[event('o', 'pull.e', null, null, `{"n":${n}}`)]], planFanOut);
      assert.equal(await setPull(store.db, 'wh_pull', true), 3, 'the pending deliveries move to the consumer');
      const now = Date.now() + 10;
      assert.equal((await store.hot.claim(10, now, 60_000, 'w1')).length, 0, 'the worker\'s claim never sees them');
      assert.equal(await store.hot.nextDueAt(), null, 'nor does its next-due lookup');
      assert.ok((await nextPullDueAt(store.db, 'wh_pull'))! <= now, 'the consumer\'s does');
      const [first, second, ...rest] = await store.hot.claimPull('wh_pull', 2, now, 30_000, 'p1');
      assert.equal(rest.length, 0, 'at most the limit');
      assert.deepEqual([first?.entity, second?.entity], ['{"n":1}', '{"n":2}'], 'oldest first');
      assert.equal(first?.lease_token, 'p1');
      const [third, ...none] = await store.hot.claimPull('wh_pull', 10, now, 30_000, 'p2');
      assert.equal(none.length, 0, 'a leased delivery is not handed out twice');
      assert.equal(third?.entity, '{"n":3}');
      assert.equal(await nextPullDueAt(store.db, 'wh_pull'), now + 30_000, 'the earliest lease end');
      // An ack under the old token after the lease passed on is fenced.
      const [retaken] = await store.hot.claimPull('wh_pull', 1, now + 30_001, 30_000, 'p3');
      assert.equal(retaken?.id, first!.id, 'an unanswered lease ends: the next poll takes it');
      const stale = await store.hot.complete([result(first!, 'p1', 'succeeded'), result(second!, 'p1', 'succeeded')], now + 30_002);
      assert.deepEqual(stale.fenced, [first!.id]);
      assert.equal(await statusOf(second!.id), 'succeeded');
      const seen = await pulledDeliveries(store.db, 'wh_pull', [first!.id, second!.id]);
      assert.deepEqual(seen.map((d) => [d.id, d.lease_token, d.status]).sort(), [[first!.id, 'p3', 'pending'], [second!.id, null, 'succeeded']].sort());
      // Back to the worker: what is still pending is claimed by it, and no longer by the consumer.
      assert.equal(await setPull(store.db, 'wh_pull', false), 2);
      assert.equal((await store.hot.claimPull('wh_pull', 10, now + 90_000, 30_000, 'p4')).length, 0);
      const back = await store.hot.claim(10, now + 90_000, 30_000, 'w2');
      assert.deepEqual(back.map((d) => d.id).sort(), [first!.id, third!.id].sort());
    });

    test('fifo rescue: a fifo webhook left without a head gets its oldest waiting delivery back; a webhook that stops being fifo releases all', async () => {
      await settle();
      await addWebhook(store.db, 'wh_fifo_r', ['fifor.e'], { policy: { ordering: 'fifo' } });
      for (const n of [1, 2, 3]) await store.hot.ingest([[event('o', 'fifor.e', null, null, `{"n":${n}}`)]], planFanOut);
      const now = Date.now() + 10;
      // The head is taken out by hand (say, cancelled): the rest stay parked, and nothing is due.
      const head = await store.db.get<{ delivery_id: string }>(`SELECT min(delivery_id) AS delivery_id FROM delivery_queue WHERE webhook_id = 'wh_fifo_r'`);
      await settlePending(store.db, 'cancelled', `delivery_id = '${head!.delivery_id}'`);
      assert.equal((await store.hot.claim(10, now, 60_000, 'r1')).length, 0, 'stuck: every waiting delivery is parked');
      assert.equal(await unstickFifo(store.db, now), 1, 'one webhook rescued');
      assert.equal(await unstickFifo(store.db, now), 0, 'a webhook with a head is left alone');
      const [next, ...more] = await store.hot.claim(10, now, 60_000, 'r2');
      assert.equal(more.length, 0, 'still one at a time');
      assert.equal(next?.entity, '{"n":2}', 'the oldest waiting one');
      // Ordering switched off: every waiting delivery becomes ordinary and due.
      await releaseFifo(store.db, 'wh_fifo_r', now);
      const rest = await store.hot.claim(10, now, 60_000, 'r3');
      assert.deepEqual(rest.map((d) => [d.entity, d.fifo]), [['{"n":3}', false]]);
    });

    test(`orphaned leases at start: ${kind === 'sqlite' ? 'every lease in the file is given back at once (its one process restarted)' : 'left to run out (other processes may hold them)'}`, async () => {
      await settle();
      await store.hot.ingest([[event('o', 'a.b'), event('o', 'a.b')]], planFanOut);
      const now = Date.now() + 10;
      assert.equal((await store.hot.claim(10, now, 60_000, 'dead-process')).length, 2);
      const released = await store.releaseOrphanedLeases(now);
      const again = await store.hot.claim(10, now, 60_000, 'restarted');
      if (kind === 'sqlite') {
        assert.equal(released, 2);
        assert.equal(again.length, 2, 'claimed again at once');
      } else {
        assert.equal(released, 0);
        assert.equal(again.length, 0, 'still leased until the lease ends');
      }
    });

    test('410: the webhook is deactivated only by a result whose lease is still held', async () => {
      await settle();
      await addWebhook(store.db, 'wh_gone', ['gone.e']);
      await store.hot.ingest([[event('o', 'gone.e')]], planFanOut);
      const now = Date.now() + 10;
      const [d] = await store.hot.claim(10, now, 1000, 'g1');
      assert.ok(d);
      const [retaken] = await store.hot.claim(10, now + 1001, 60_000, 'g2');
      assert.equal(retaken?.id, d.id);
      const gone = () => ({ deactivate_reason: 'gone_410', attempt: attemptFor(d.id, d.webhook_id, 'failure', 410) });
      assert.deepEqual((await store.hot.complete([result(d, 'g1', 'failed', gone())], now + 1002)).fenced, [d.id]);
      assert.deepEqual(await webhookRow('wh_gone'), { state: 'enabled', state_reason: null, revision: 1 });
      assert.equal((await store.hot.complete([result(d, 'g2', 'failed', gone())], now + 1003)).applied, 1);
      const w = await webhookRow('wh_gone');
      assert.deepEqual({ ...w, revision: Number(w?.revision) }, { state: 'deactivated', state_reason: 'gone_410', revision: 2 });
    });

    test('a delivery of a deleted webhook is claimed with webhook_state null and its result still applies', async () => {
      await settle();
      await addWebhook(store.db, 'wh_deleted', ['del.e']);
      await store.hot.ingest([[event('o', 'del.e')]], planFanOut);
      const [leased] = await store.hot.claim(10, Date.now() + 10, 60_000, 'd1');
      assert.ok(leased);
      assert.equal(await store.db.transaction((tx) => deleteWebhook(tx, 'o', 'wh_deleted', Date.now())), true);
      assert.equal(await statusOf(leased.id), 'cancelled');
      assert.deepEqual((await store.hot.complete([result(leased, 'd1', 'succeeded')], Date.now())).fenced, [leased.id], 'cancelled under the worker');
      assert.equal(await statusOf(leased.id), 'cancelled');
      // A resend of its old delivery (the webhook is gone): the claim says so.
      assert.equal(await requeueDelivery(store.db, 'o', leased.id, Date.now()), true);
      const [orphan] = await store.hot.claim(10, Date.now() + 10, 60_000, 'd2');
      assert.equal(orphan?.id, leased.id);
      assert.equal(orphan.webhook_state, null);
      assert.equal(orphan.webhook_revision, null);
      const report = await store.hot.complete([result(orphan, 'd2', 'cancelled', { attempt: null })], Date.now());
      assert.equal(report.applied, 1);
      assert.equal(await statusOf(leased.id), 'cancelled');
    });

    test('digests: members wait batched; one process claims a period; a digest carries its members once; release and lookups', async () => {
      await settle();
      const now = Date.now();
      await addWebhook(store.db, 'wh_digest', ['dig.e'], { delivery: { mode: 'digest', every: '1h' }, next_digest_at: now + 5000 });
      await addWebhook(store.db, 'wh_digest_off', ['dig.e'], { delivery: { mode: 'digest', every: '1h' }, next_digest_at: now + 9000 });
      for (const n of [1, 2, 3]) await store.hot.ingest([[event('o', 'dig.e', null, null, `{"n":${n}}`)]], planFanOut);
      assert.equal((await store.hot.claim(10, now + 10, 60_000, 'x')).length, 0, 'batched members are never claimed');
      assert.equal(await earliestDigestAt(store.db), now + 5000);
      assert.deepEqual((await dueDigests(store.db, now + 4999, 10)).map((w) => w.id), []);
      const [due] = await dueDigests(store.db, now + 5000, 10);
      assert.deepEqual([due?.id, due?.delivery], ['wh_digest', { mode: 'digest', every: '1h' }]);
      const digest = await store.db.transaction(async (tx) => {
        assert.equal(await moveDigestAt(tx, 'wh_digest', now + 5000, now + 3_605_000), true);
        const members = await waitingMembers(tx, 'wh_digest', 2);
        assert.deepEqual(members.map((m) => m.entity), ['{"n":1}', '{"n":2}'], 'oldest first, up to the limit');
        const d = { deliveryId: newId('msg'), eventId: newId('evt'), orgId: 'o', webhookId: 'wh_digest', entity: '[]', periodEnd: now + 5000, now, memberIds: members.map((m) => m.id) };
        await insertDigest(tx, d);
        return d;
      });
      assert.equal(await store.db.transaction((tx) => moveDigestAt(tx, 'wh_digest', now + 5000, now + 1)), false, 'the period was claimed once');
      const [sent] = await store.hot.claim(10, now + 10, 60_000, 'dg');
      assert.deepEqual([sent?.id, sent?.event_type], [digest.deliveryId, DIGEST_EVENT_TYPE]);
      // A member already carried cannot be carried again: the whole digest rolls back.
      const again = { ...digest, deliveryId: newId('msg'), eventId: newId('evt') };
      await assert.rejects(store.db.transaction((tx) => insertDigest(tx, again)));
      assert.equal(await store.db.get('SELECT id FROM events WHERE id = ?', [again.eventId]), undefined);
      assert.deepEqual((await store.db.transaction((tx) => waitingMembers(tx, 'wh_digest', 10))).map((m) => m.entity), ['{"n":3}']);
      // Switched off: the other webhook's waiting members become ordinary deliveries.
      assert.equal(await store.db.transaction((tx) => lockWebhookRow(tx, 'wh_digest_off')), true);
      assert.equal(await store.db.transaction((tx) => lockWebhookRow(tx, 'wh_nobody')), false);
      await store.db.transaction(async (tx) => {
        await setDeliveryMode(tx, 'wh_digest_off', { mode: 'immediate' }, null);
        assert.equal(await releaseWaiting(tx, 'wh_digest_off', now), 3);
      });
      const released = await store.hot.claim(10, now + 10, 60_000, 'rl');
      assert.deepEqual(released.map((d) => d.webhook_id), ['wh_digest_off', 'wh_digest_off', 'wh_digest_off']);
      assert.equal(await earliestDigestAt(store.db), now + 3_605_000);
    });

    test('direct sends are recorded with their attempt; only a synchronous call counts for health; requeue is bounded', async () => {
      await settle();
      await addWebhook(store.db, 'wh_direct', ['dir.e']);
      const health = () => store.db.get<{ consecutive_failures: number; failures_total: number; last_failure_at: number | null }>(
        'SELECT consecutive_failures, failures_total, last_failure_at FROM webhooks WHERE id = ?', ['wh_direct']);
      const send = async (isTest: boolean, counts: boolean) => {
        const e = event('o', 'dir.e');
        const id = newId('msg');
        const a = { ...attemptFor(id, 'wh_direct', 'failure'), is_test: isTest };
        await store.db.transaction((tx) => recordDirectDelivery(tx, e, id, a, isTest, counts));
        return { id, a };
      };
      const test1 = await send(true, false);
      const row = await store.db.get<{ status: string; attempts: number; is_test: number; last_status_code: number }>(
        'SELECT status, attempts, is_test, last_status_code FROM deliveries WHERE id = ?', [test1.id]);
      assert.deepEqual({ ...row, attempts: Number(row?.attempts), is_test: Number(row?.is_test), last_status_code: Number(row?.last_status_code) },
        { status: 'failed', attempts: 1, is_test: 1, last_status_code: 500 });
      assert.equal(Number((await store.db.get<{ n: number }>('SELECT count(*) AS n FROM attempts WHERE delivery_id = ?', [test1.id]))?.n), 1);
      assert.deepEqual(await health(), { consecutive_failures: 0, failures_total: 0, last_failure_at: null }, 'a test send does not count');
      const call = await send(false, true);
      const h = await health();
      assert.deepEqual([Number(h?.consecutive_failures), Number(h?.failures_total), Number(h?.last_failure_at)], [1, 1, call.a.started_at]);
      assert.equal((await store.hot.claim(10, Date.now() + 10, 60_000, 'dx')).length, 0, 'a direct send is never claimed');
      // Recover: failed ones within the window, at most `limit` per call.
      const since = Date.now() - 60_000;
      assert.equal(await requeueBatch(store.db, 'wh_direct', ['failed', 'skipped'], since, Date.now() + 1, 1, Date.now()), 1);
      assert.equal(await requeueBatch(store.db, 'wh_direct', ['failed', 'skipped'], since, Date.now() + 1, 10, Date.now()), 1);
      assert.equal(await requeueBatch(store.db, 'wh_direct', ['failed', 'skipped'], since, Date.now() + 1, 10, Date.now()), 0);
      const requeued = await store.hot.claim(10, Date.now() + 10, 60_000, 'rq');
      assert.deepEqual(requeued.map((d) => d.id).sort(), [test1.id, call.id].sort());
    });

    test('idempotency: a key repeated within a group and across groups of one call, per org, keyless events never deduplicated', async () => {
      await settle();
      await insertOrg(store.db, { id: 'o2', name: 'O2', owner_email: 'o@o.test', settings: {}, created_at: Date.now(), updated_at: Date.now() });
      const [within] = await store.hot.ingest([[event('o', 'a.b', 'in-group', 'h'), event('o', 'a.b', 'in-group', 'h')]], planFanOut);
      assert.ok(within?.ok);
      assert.deepEqual(within.events.map((e) => e.replayed), [false, true]);
      assert.equal(within.events[1]!.event_id, within.events[0]!.event_id);
      assert.equal(within.events[1]!.deliveries, 1);
      const [g1, g2, g3] = await store.hot.ingest([[event('o', 'a.b', 'across', 'h')], [event('o', 'a.b', 'across', 'h')], [event('o', 'a.b', 'across', 'other')]], planFanOut);
      assert.ok(g1?.ok && g2?.ok);
      assert.deepEqual([g2.events[0]!.replayed, g2.events[0]!.event_id], [true, g1.events[0]!.event_id]);
      assert.deepEqual(g3, { ok: false, conflict: 'across' });
      const [otherOrg] = await store.hot.ingest([[event('o2', 'a.b', 'across', 'other')]], planFanOut);
      assert.ok(otherOrg?.ok && !otherOrg.events[0]!.replayed, 'keys are per org');
      const [keyless] = await store.hot.ingest([[event('o', 'a.b'), event('o', 'a.b')]], planFanOut);
      assert.ok(keyless?.ok && keyless.events.every((e) => !e.replayed));
      const stored = await store.db.get<{ n: number }>(`SELECT count(*) AS n FROM events WHERE idempotency_key IN ('in-group', 'across')`);
      assert.equal(Number(stored?.n), 3);
    });
  });
}

describe('store contract (postgres): two processes ingesting one idempotency key', () => {
  let ts: TestStore;
  let a: Store;
  let b: Store;

  before(async () => {
    ts = await freshStore('postgres');
    a = await openStore({ dataDir: ts.dataDir, databaseUrl: ts.databaseUrl, poolSize: 4 });
    b = await openStore({ dataDir: ts.dataDir, databaseUrl: ts.databaseUrl, poolSize: 4 });
    await insertOrg(a.db, { id: 'o', name: 'O', owner_email: 'o@o.test', settings: {}, created_at: Date.now(), updated_at: Date.now() });
    await addWebhook(a.db, 'wh_race', ['race.e']);
    await addWebhook(a.db, 'wh_race_fifo', ['race.fifo'], { policy: { ordering: 'fifo' } });
    await addWebhook(a.db, 'wh_race_fresh', ['race.fresh']);
  });
  after(async () => {
    await a.close();
    await b.close();
    await ts.cleanup();
  });

  test('an insert that loses the race to an uncommitted one (23505) is answered as a replay, or a conflict', async () => {
    for (const [hash, expectReplay] of [['h', true], ['different', false]] as const) {
      const key = `held-${hash}`;
      const holder = new pg.Client({ connectionString: ts.databaseUrl });
      await holder.connect();
      try {
        const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        await holder.query('BEGIN');
        await holder.query(
          `INSERT INTO events (id, org_id, type, entity, modified_fields, event_time, idempotency_key, request_hash, delivery_count, created_at)
           VALUES ($1, 'o', 'race.e', '{}', '[]', 0, $2, 'h', 0, 0)`,
          [`evt_holder_${hash}`, key],
        );
        // The store reads no such key (not committed), inserts it, and waits on the unique index.
        // Its worker takes both events' deliveries fresh; the run after the violation plans again.
        const keyless = event('o', 'race.fresh');
        const lease = testLease(`race-${hash}`, Date.now() + 60_000, 10);
        const noted = new Map<string, FreshDelivery[]>();
        const ingest = a.hot.ingest([[event('o', 'race.e', key, hash), keyless]], leasingFresh(planFanOut, lease, noted));
        const until = Date.now() + 10_000;
        while (Date.now() < until) {
          const waiting = await a.db.get<{ n: number }>('SELECT count(*) AS n FROM pg_stat_activity WHERE ? = ANY(pg_blocking_pids(pid))', [pid]);
          if (Number(waiting?.n) > 0) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        await holder.query('COMMIT');
        const [answer] = await ingest;
        assert.equal(lease.taken.length, expectReplay ? 3 : 2, 'two deliveries planned by the first run, one by the second (none for a conflict)');
        if (expectReplay) {
          assert.deepEqual(answer, { ok: true, events: [
            { event_id: `evt_holder_${hash}`, deliveries: 0, replayed: true }, { event_id: keyless.id, deliveries: 1, replayed: false },
          ] });
        } else assert.deepEqual(answer, { ok: false, conflict: key });
        // Only what the commit stored is sent fresh: the second run's delivery of the new event.
        const sent = storedFresh(noted, answer?.ok ? answer.events.filter((e) => !e.replayed).map((e) => e.event_id) : []);
        assert.deepEqual(sent.map((f) => f.id), expectReplay ? [lease.taken[2]] : []);
        const leased = await a.db.all<{ delivery_id: string }>('SELECT delivery_id FROM delivery_queue WHERE lease_token = ?', [`race-${hash}`]);
        assert.deepEqual(leased.map((r) => r.delivery_id), sent.map((f) => f.id));
      } finally {
        await holder.end();
      }
    }
  });

  test('two stores racing the same keys: each key stored once, every answer names that event', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `race-${i}`);
    const answers = await Promise.all(
      keys.flatMap((k) => [a, b].map(async (s) => ({ k, r: (await s.hot.ingest([[event('o', 'race.e', k, 'same')]], planFanOut))[0] }))),
    );
    for (const k of keys) {
      const rows = await a.db.all<{ id: string }>('SELECT id FROM events WHERE org_id = ? AND idempotency_key = ?', ['o', k]);
      assert.equal(rows.length, 1);
      const mine = answers.filter((x) => x.k === k).map((x) => (x.r?.ok ? x.r.events[0] : undefined));
      assert.deepEqual(mine.map((e) => e?.event_id), [rows[0]!.id, rows[0]!.id]);
      assert.deepEqual(mine.map((e) => e?.replayed).sort(), [false, true]);
    }
    const deliveries = await a.db.get<{ n: number }>(`SELECT count(*) AS n FROM deliveries WHERE webhook_id = 'wh_race'`);
    assert.equal(Number(deliveries?.n), keys.length, 'one delivery per stored event');
  });

  test('fifo: ingests from two stores at once still leave one delivery in flight, released in id order', async () => {
    await settlePending(a.db);
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).hot.ingest([[event('o', 'race.fifo')]], planFanOut)));
    const ids = (await a.db.all<{ id: string }>(`SELECT id FROM deliveries WHERE webhook_id = 'wh_race_fifo' ORDER BY id`)).map((r) => r.id);
    assert.equal(ids.length, 10);
    const sent: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const now = Date.now() + 10 + i;
      const claimed = [...(await a.hot.claim(100, now, 60_000, `fa${i}`)), ...(await b.hot.claim(100, now, 60_000, `fb${i}`))];
      assert.equal(claimed.length, 1, 'one in flight');
      const d = claimed[0]!;
      sent.push(d.id);
      await (i % 2 ? a : b).hot.complete([result(d, d.lease_token, 'succeeded', { fifo: true })], now);
    }
    assert.deepEqual(sent, ids);
  });
});
