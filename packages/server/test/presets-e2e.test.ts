import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { PRESETS, type PresetName } from '../src/policy/presets.js';
import { eventually, TestHerald } from './helpers/herald.js';
import { TestReceiver, type Received } from './helpers/receiver.js';
import { STORE_KINDS } from './helpers/stores.js';

/**
 * Each preset end to end against a real receiver that never succeeds: the exact number of
 * attempts, their spacing by the preset's schedule (minutes pass in milliseconds through
 * HERALD_CLOCK_SCALE), then its success rule; then a disabled webhook's deliveries are
 * stored as skipped and recovered once it is enabled again.
 */
const CASES: { preset: PresetName; scale: number }[] = [
  { preset: 'salesiq', scale: 600 }, // 1 min → 100 ms
  { preset: 'smarterbot', scale: 600 }, // 1 min, 3 min → 100, 300 ms
  { preset: 'dialog-insight', scale: 6000 }, // 1, 15, 30, 60 min → 10, 150, 300, 600 ms
  { preset: 'standard', scale: 20_000 }, // 5 s … 10 h → 0.25 ms … 1.8 s
];

/** A response the preset counts as a failure, though a plain 2xx check would pass it. */
const nearMiss: Record<PresetName, { status: number; body: string }> = {
  standard: { status: 500, body: 'down' },
  salesiq: { status: 500, body: 'down' },
  smarterbot: { status: 200, body: '{"status":"ok"}' }, // not one of the two exact bodies
  'dialog-insight': { status: 201, body: 'created' }, // only 200 is OK (seed 004)
};
const accepted: Record<PresetName, { status: number; body: string }> = {
  standard: { status: 204, body: '' },
  salesiq: { status: 202, body: '' },
  smarterbot: { status: 200, body: '{"status":"success"}' },
  'dialog-insight': { status: 200, body: 'OK' },
};

for (const kind of STORE_KINDS) {
  for (const { preset, scale } of CASES) {
    describe(`preset ${preset} end to end (${kind}, clock ÷${scale})`, () => {
      let h: TestHerald;
      let rx: TestReceiver;
      let hook: any;
      let mode: 'fail' | 'ok' = 'fail';
      before(async () => {
        rx = await TestReceiver.start();
        rx.respond((_r, res) => {
          const answer = mode === 'fail' ? nearMiss[preset] : accepted[preset];
          res.statusCode = answer.status;
          res.end(answer.body);
        });
        h = await TestHerald.start(kind, { clockScale: scale });
        hook = await h.setup(rx.url('/hook'), ['preset.event'], { preset });
      });
      after(async () => {
        await h.stop();
        await rx.close();
      });
      const schedule = PRESETS[preset].policy.retry_schedule_ms;
      const jitter = PRESETS[preset].policy.retry_jitter;

      test(`${schedule.length + 1} attempts spaced by the schedule, then failed`, async () => {
        await h.api('POST', '/orgs/acme/events', { event: 'preset.event', entity: { id: 'e1' } });
        await rx.waitFor(schedule.length + 1, 15_000);
        const d = await eventually(async () => {
          const list = (await h.api('GET', `/orgs/acme/webhooks/${hook.id}/deliveries`)).body.data;
          return list[0]?.status === 'failed' ? list[0] : null;
        }, 15_000);
        assert.equal(d.attempts, schedule.length + 1);
        await new Promise((r) => setTimeout(r, 100));
        const got: Received[] = rx.posts;
        assert.equal(got.length, schedule.length + 1, 'no attempt after the schedule is spent');
        for (let i = 1; i < got.length; i++) {
          const want = schedule[i - 1]! / scale;
          const gap = got[i]!.at - got[i - 1]!.at;
          assert.ok(gap >= want * (1 - jitter) - 3, `gap ${i}: ${gap} ms, scheduled ${want.toFixed(1)} ms`);
          // Generous on purpose (a loaded machine delays timers): a retry left to the worker's
          // 10 s idle check instead of its own timer would still be far outside this bound.
          assert.ok(gap <= want * (1 + jitter) + 2000, `gap ${i}: ${gap} ms, scheduled ${want.toFixed(1)} ms: not attempted when due`);
        }
        const signature = PRESETS[preset].signature;
        const header = (signature.header ?? 'webhook-signature').toLowerCase();
        assert.ok(got.every((r) => typeof r.headers[header] === 'string'), `signed in ${header}`);
        if (signature.scheme === 'rsa-sha256') {
          const pem = hook.key.public_key as string;
          assert.ok(verify('sha256', Buffer.from(got[0]!.body), createPublicKey(pem), Buffer.from(got[0]!.headers[header] as string, 'base64')));
        }
      });

      test('its success rule: the accepted answer succeeds at once', async () => {
        mode = 'ok';
        const before = rx.posts.length;
        await h.api('POST', '/orgs/acme/events', { event: 'preset.event', entity: { id: 'e2' } });
        await rx.waitFor(before + 1);
        const d = await eventually(async () => {
          const list = (await h.api('GET', `/orgs/acme/webhooks/${hook.id}/deliveries`)).body.data;
          return list[0]?.status === 'succeeded' ? list[0] : null;
        });
        assert.equal(d.attempts, 1);
      });

      test('disabled: deliveries are skipped, never sent, and recovered after re-enabling', async () => {
        const since = new Date().toISOString();
        assert.equal((await h.api('PATCH', `/orgs/acme/webhooks/${hook.id}`, { state: 'disabled' })).status, 200);
        const before = rx.posts.length;
        await h.api('POST', '/orgs/acme/events/batch', { events: [1, 2, 3].map((i) => ({ event: 'preset.event', entity: { id: `s${i}` } })) });
        const skipped = await eventually(async () => {
          const list = (await h.api('GET', `/orgs/acme/webhooks/${hook.id}/deliveries?status=skipped`)).body.data;
          return list.length === 3 ? list : null;
        });
        assert.equal(skipped.length, 3);
        assert.equal(rx.posts.length, before, 'nothing sent while disabled');
        await h.api('PATCH', `/orgs/acme/webhooks/${hook.id}`, { state: 'enabled' });
        const rec = await h.api('POST', `/orgs/acme/webhooks/${hook.id}/recover`, { since });
        assert.equal(rec.status, 202, JSON.stringify(rec.body));
        await rx.waitFor(before + 3);
        const ids = rx.posts.slice(before).map((p) => JSON.parse(p.body).entity_id ?? JSON.parse(p.body).id);
        assert.deepEqual([...ids].sort(), ['s1', 's2', 's3']);
      });
    });
  }
}
