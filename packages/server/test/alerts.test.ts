import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { nextServerDayAt } from '../src/alerts/daily-errors.js';
import { eventually, TestHerald } from './helpers/herald.js';
import { TestReceiver, type Received } from './helpers/receiver.js';
import { TestSmtpServer } from './helpers/smtp.js';
import { STORE_KINDS, type StoreKind } from './helpers/stores.js';

/**
 * Failure alerts end to end: real receivers answering as scripted per path, a real SMTP
 * server in a child process, HERALD_CLOCK_SCALE so that hours pass in milliseconds. What a
 * rule decided is read from the outbox (the durable decision), what was sent from the SMTP
 * server. Webhooks here have no retries unless a test says so: one event, one attempt.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NO_RETRIES = { retry_schedule: [] as string[] };
const LONG_BODY = `upstream exploded ${'x'.repeat(600)}`;

interface StateRow {
  streak: number;
  step: number;
  warned_at: number | null;
  failing_since: number | null;
  day_errors: number;
  deactivated_revision: number | null;
}
interface MailRow {
  kind: string;
  recipients: string;
  status: string;
  subject: string;
  text: string;
  attempts: number;
}

const alertState = (h: TestHerald, id: string) => h.herald.store.db.get<StateRow>('SELECT * FROM webhook_alert_state WHERE webhook_id = ?', [id]);
const outbox = (h: TestHerald, id: string) =>
  h.herald.store.db.all<MailRow>('SELECT kind, recipients, status, subject, text, attempts FROM mail_outbox WHERE webhook_id = ? ORDER BY created_at, id', [id]);
const kindsOf = async (h: TestHerald, id: string) => (await outbox(h, id)).map((m) => m.kind);

/** A receiver whose status per path is scripted: 200 unless set. */
class ScriptedReceiver {
  readonly status = new Map<string, number>();
  private constructor(readonly rx: TestReceiver) {
    rx.respond((r, res) => {
      const s = this.status.get(r.path) ?? 200;
      res.statusCode = s;
      res.end(s === 200 ? 'ok' : LONG_BODY);
    });
  }

  static async start(): Promise<ScriptedReceiver> {
    return new ScriptedReceiver(await TestReceiver.start());
  }

  /** Deliveries (not URL checks) that reached a path. */
  deliveries(path: string): Received[] {
    return this.rx.posts.filter((p) => p.path === path && !p.body.includes('herald.url_validation'));
  }
}

async function org(h: TestHerald, id: string, settings: Record<string, unknown> = {}): Promise<void> {
  const r = await h.api('POST', '/orgs', { id, name: id, owner_email: `owner@${id}.test`, settings: { validate_urls: false, ...settings } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

async function webhook(h: TestHerald, orgId: string, body: Record<string, unknown>, key?: string) {
  const r = await h.api('POST', `/orgs/${orgId}/webhooks`, body, key === undefined ? {} : { key });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body as { id: string; key: { secret?: string } };
}

async function ingest(h: TestHerald, orgId: string, event: string, n = 1): Promise<void> {
  const events = Array.from({ length: n }, (_, i) => ({ event, entity: { id: `e${i}` } }));
  const r = n === 1 ? await h.api('POST', `/orgs/${orgId}/events`, events[0]) : await h.api('POST', `/orgs/${orgId}/events/batch`, { events });
  assert.equal(r.status, 202, JSON.stringify(r.body));
}

/** Waits until the alert state satisfies `ok` (the evaluation after a completion committed). */
const stateWhen = (h: TestHerald, id: string, ok: (s: StateRow) => boolean, timeoutMs = 5000) =>
  eventually(async () => {
    const s = await alertState(h, id);
    return s && ok(s) ? s : null;
  }, timeoutMs, 5);

async function webhookState(h: TestHerald, orgId: string, id: string) {
  return (await h.api('GET', `/orgs/${orgId}/webhooks/${id}`)).body as { state: string; state_reason: string | null };
}

let smtp: TestSmtpServer;
before(async () => {
  smtp = await TestSmtpServer.start();
});
after(async () => {
  await smtp.close();
});

for (const kind of STORE_KINDS) {
  describe(`failure alerts: salesiq ladder, 410, recipients, operational webhooks (${kind})`, () => {
    let h: TestHerald;
    let rx: ScriptedReceiver;
    before(async () => {
      rx = await ScriptedReceiver.start();
      // An hour lasts one second.
      h = await TestHerald.start(kind, { clockScale: 3600, smtpUrl: smtp.url, publicUrl: 'https://herald.example' });
      await org(h, 'siq');
    });
    after(async () => {
      await h.stop();
      await rx.rx.close();
    });

    test('seed-000 ladder: silence, warning 1, warning 2 an hour later, deactivation an hour after that; then skipped, re-enabled, recovered', async () => {
      rx.status.set('/ladder', 500);
      const w = await webhook(h, 'siq', { url: rx.rx.url('/ladder'), events: ['chat.ended'], preset: 'salesiq', policy: NO_RETRIES, description: 'CRM bot' });
      await ingest(h, 'siq', 'chat.ended');
      await stateWhen(h, w.id, (s) => s.streak === 1);
      assert.deepEqual(await kindsOf(h, w.id), [], 'no mail on the first failure');

      await ingest(h, 'siq', 'chat.ended');
      const warned = await stateWhen(h, w.id, (s) => s.streak === 2);
      assert.deepEqual(await kindsOf(h, w.id), ['warning_1'], 'warning after the 2nd failure, nothing ever succeeded');
      const [m1] = await smtp.waitFor(w.id, 1);
      assert.ok(m1!.to.includes('owner@siq.test'));
      assert.equal(m1!.headers['x-herald-alert'], 'warning_1');
      assert.match(m1!.subject, /Warning 1: webhook CRM bot is failing/);
      assert.ok(m1!.text.includes(w.id) && m1!.text.includes(rx.rx.url('/ladder')), 'says which webhook');
      assert.match(m1!.text, /HTTP status 500/);
      assert.ok(m1!.text.includes(LONG_BODY.slice(0, 500)) && !m1!.text.includes(LONG_BODY.slice(0, 501)), 'quotes at most 500 characters of the response');
      assert.match(m1!.text, /second warning/);
      assert.ok(m1!.text.includes(`https://herald.example/#/webhooks/${w.id}`));

      await ingest(h, 'siq', 'chat.ended');
      await stateWhen(h, w.id, (s) => s.streak === 3);
      assert.deepEqual(await kindsOf(h, w.id), ['warning_1'], '3rd failure within an hour of warning 1: no mail yet');

      await sleep(Math.max(0, warned.warned_at! + 1000 - Date.now()) + 20);
      await ingest(h, 'siq', 'chat.ended');
      const warned2 = await stateWhen(h, w.id, (s) => s.streak === 4);
      assert.equal(warned2.step, 2);
      assert.deepEqual(await kindsOf(h, w.id), ['warning_1', 'warning_2']);

      await ingest(h, 'siq', 'chat.ended');
      await stateWhen(h, w.id, (s) => s.streak === 5);
      assert.deepEqual(await kindsOf(h, w.id), ['warning_1', 'warning_2'], 'within an hour of warning 2: still enabled');
      assert.equal((await webhookState(h, 'siq', w.id)).state, 'enabled');

      await sleep(Math.max(0, warned2.warned_at! + 1000 - Date.now()) + 20);
      await ingest(h, 'siq', 'chat.ended');
      await stateWhen(h, w.id, (s) => s.deactivated_revision !== null);
      assert.deepEqual(await kindsOf(h, w.id), ['warning_1', 'warning_2', 'deactivated']);
      const ws = await webhookState(h, 'siq', w.id);
      assert.deepEqual([ws.state, ws.state_reason], ['deactivated', 'failure_ladder']);
      const mails = await smtp.waitFor(w.id, 3);
      assert.deepEqual(mails.map((m) => m.headers['x-herald-alert']), ['warning_1', 'warning_2', 'deactivated']);
      assert.match(mails[2]!.text, /state_reason failure_ladder/);
      assert.match(mails[2]!.text, /"state":"enabled"/);
      assert.match(mails[2]!.text, /\/recover/);

      // Deactivated: no requests; the event is kept as skipped, and recovered after re-enabling.
      const sent = rx.deliveries('/ladder').length;
      const since = new Date().toISOString();
      await ingest(h, 'siq', 'chat.ended');
      const skipped = await eventually(async () => {
        const d = (await h.api('GET', `/orgs/siq/webhooks/${w.id}/deliveries?status=skipped`)).body.data as unknown[];
        return d.length === 1 ? d : null;
      });
      assert.equal(skipped.length, 1);
      assert.equal(rx.deliveries('/ladder').length, sent);
      rx.status.set('/ladder', 200);
      assert.equal((await h.api('PATCH', `/orgs/siq/webhooks/${w.id}`, { state: 'enabled' })).status, 200);
      const rec = await h.api('POST', `/orgs/siq/webhooks/${w.id}/recover`, { since, status: ['skipped'] });
      assert.equal(rec.body.recovered, 1);
      await eventually(async () => rx.deliveries('/ladder').length === sent + 1);
      assert.equal((await kindsOf(h, w.id)).length, 3, 'a success sends no mail');
    });

    test('a success resets the ladder; warning 1 then waits for an hour without success', async () => {
      rx.status.set('/reset', 500);
      const w = await webhook(h, 'siq', { url: rx.rx.url('/reset'), events: ['chat.reset'], preset: 'salesiq', policy: NO_RETRIES });
      await ingest(h, 'siq', 'chat.reset');
      await ingest(h, 'siq', 'chat.reset');
      await stateWhen(h, w.id, (s) => s.streak === 2 && s.step === 1);
      rx.status.set('/reset', 200);
      await ingest(h, 'siq', 'chat.reset');
      await eventually(async () => rx.deliveries('/reset').length === 3);
      const successAt = Date.now();
      rx.status.set('/reset', 500);
      await ingest(h, 'siq', 'chat.reset');
      await stateWhen(h, w.id, (s) => s.streak === 1 && s.step === 0);
      await ingest(h, 'siq', 'chat.reset');
      await stateWhen(h, w.id, (s) => s.streak === 2);
      assert.deepEqual(await kindsOf(h, w.id), ['warning_1'], 'two failures, but a success within the past hour');
      await sleep(Math.max(0, successAt + 1000 - Date.now()) + 20);
      await ingest(h, 'siq', 'chat.reset');
      await stateWhen(h, w.id, (s) => s.streak === 3);
      assert.deepEqual(await kindsOf(h, w.id), ['warning_1', 'warning_1'], 'the ladder started again from its first step');
      await smtp.waitFor(w.id, 2);
    });

    test('410 at any time: every preset deactivates at once and mails; smarterbot mails about nothing else', async () => {
      const presets = ['standard', 'salesiq', 'smarterbot', 'dialog-insight'];
      const hooks = await Promise.all(presets.map(async (preset) => {
        rx.status.set(`/gone-${preset}`, 410);
        return { preset, w: await webhook(h, 'siq', { url: rx.rx.url(`/gone-${preset}`), events: [`gone.${preset.replace('-', '_')}`], preset }) };
      }));
      for (const { preset } of hooks) await ingest(h, 'siq', `gone.${preset.replace('-', '_')}`);
      for (const { preset, w } of hooks) {
        await stateWhen(h, w.id, (s) => s.deactivated_revision !== null);
        const ws = await webhookState(h, 'siq', w.id);
        assert.deepEqual([ws.state, ws.state_reason], ['deactivated', 'gone_410'], preset);
        assert.deepEqual(await kindsOf(h, w.id), ['deactivated'], preset);
        const [m] = await smtp.waitFor(w.id, 1);
        assert.match(m!.text, /410 Gone/);
        assert.match(m!.text, /HTTP status 410/);
      }
      // A smarterbot webhook that fails otherwise gets no mail at all.
      rx.status.set('/sb', 500);
      const sb = await webhook(h, 'siq', { url: rx.rx.url('/sb'), events: ['sb.fail'], preset: 'smarterbot', policy: NO_RETRIES });
      await ingest(h, 'siq', 'sb.fail', 5);
      await stateWhen(h, sb.id, (s) => s.streak === 5);
      assert.deepEqual(await kindsOf(h, sb.id), []);
    });

    test('recipients: org owner, alert_emails, the creating and the modifying key\'s email, a portal user; each once', async () => {
      const mk = async (name: string, email: string) => {
        const r = await h.api('POST', '/api-keys', { name, scopes: ['webhooks:read', 'webhooks:write'], org_id: 'siq', email });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.equal(r.body.email, email);
        return r.body as { id: string; key: string };
      };
      const creator = await mk('creator', 'creator@siq.test');
      const modifier = await mk('modifier', 'Modifier@siq.test');
      const listed = (await h.api('GET', '/api-keys')).body.data as { id: string; email: string | null }[];
      assert.equal(listed.find((k) => k.id === creator.id)?.email, 'creator@siq.test');

      rx.status.set('/who', 410);
      const w = await webhook(h, 'siq', { url: rx.rx.url('/who'), events: ['who.cares'], alert_emails: ['oncall@siq.test', 'OWNER@siq.test', 'modifier@SIQ.test'] }, creator.key);
      assert.equal((await h.api('PATCH', `/orgs/siq/webhooks/${w.id}`, { description: 'changed' }, { key: modifier.key })).status, 200);
      rx.status.set('/portal', 410);
      const p = await webhook(h, 'siq', { url: rx.rx.url('/portal'), events: ['who.cares'] });
      const link = (await h.api('POST', '/orgs/siq/portal-links', { user_email: 'pat@customer.test' })).body as { token: string };
      assert.equal((await h.api('PATCH', `/orgs/siq/webhooks/${p.id}`, { description: 'by pat' }, { key: link.token })).status, 200);

      await ingest(h, 'siq', 'who.cares');
      const [mw] = await smtp.waitFor(w.id, 1);
      const lower = (to: string[]) => to.map((a) => a.toLowerCase()).sort();
      assert.deepEqual(lower(mw!.to), ['creator@siq.test', 'modifier@siq.test', 'oncall@siq.test', 'owner@siq.test'],
        'the owner and the modifier are in alert_emails too (in another case): once each');
      assert.equal((JSON.parse((await outbox(h, w.id))[0]!.recipients) as string[]).length, 4, 'stored deduplicated');
      const [mp] = await smtp.waitFor(p.id, 1);
      assert.deepEqual(lower(mp!.to), ['owner@siq.test', 'pat@customer.test']);
      // The creator is the admin key here (no email); the modifier key's email is used when not listed.
      const other = await webhook(h, 'siq', { url: rx.rx.url('/who'), events: ['who.else'] });
      await h.api('PATCH', `/orgs/siq/webhooks/${other.id}`, { description: 'x' }, { key: modifier.key });
      await ingest(h, 'siq', 'who.else');
      const [mo] = await smtp.waitFor(other.id, 1);
      assert.deepEqual(lower(mo!.to), ['modifier@siq.test', 'owner@siq.test']);
    });

    test('org setting alert_mail "off": deactivated as usual, no mail', async () => {
      await org(h, 'quiet', { alert_mail: 'off' });
      rx.status.set('/quiet', 410);
      const w = await webhook(h, 'quiet', { url: rx.rx.url('/quiet'), events: ['q.q'] });
      await ingest(h, 'quiet', 'q.q');
      await stateWhen(h, w.id, (s) => s.deactivated_revision !== null);
      assert.equal((await webhookState(h, 'quiet', w.id)).state, 'deactivated');
      assert.deepEqual(await kindsOf(h, w.id), []);
      await sleep(100);
      assert.equal(smtp.about(w.id).length, 0);
    });

    test('operational webhook: webhook.deactivated and delivery.exhausted, signed; `*` does not get them; no loop', async () => {
      await org(h, 'ops');
      const op = await webhook(h, 'ops', { url: rx.rx.url('/ops'), events: ['webhook.deactivated', 'delivery.exhausted'] });
      await webhook(h, 'ops', { url: rx.rx.url('/star') });
      rx.status.set('/flaky', 500);
      const failing = await webhook(h, 'ops', { url: rx.rx.url('/flaky'), events: ['thing.happened'], policy: { retry_schedule: ['10s'], retry_jitter: 0 } });
      const verify = (r: Received) => new StandardWebhook(op.key.secret!).verify(r.body, {
        'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']),
      }) as { event: string; entity_type: string; entity_id: string; entity: Record<string, any> };

      await ingest(h, 'ops', 'thing.happened');
      await eventually(async () => rx.deliveries('/ops').length >= 1);
      const exhausted = verify(rx.deliveries('/ops')[0]!);
      assert.equal(exhausted.event, 'delivery.exhausted');
      assert.equal(exhausted.entity_type, 'delivery');
      assert.equal(exhausted.entity.webhook_id, failing.id);
      assert.equal(exhausted.entity.event_type, 'thing.happened');
      assert.equal(exhausted.entity.attempts, 2, 'one try and one retry');
      assert.equal(exhausted.entity.reason, 'retries_exhausted');
      assert.equal(exhausted.entity.last_error.status_code, 500);
      assert.equal(exhausted.entity.last_error.response_excerpt.length, 500);
      const exhaustedDelivery = (await h.api('GET', `/orgs/ops/deliveries/${exhausted.entity_id}`)).body;
      assert.equal(exhaustedDelivery.status, 'failed');

      rx.status.set('/flaky', 410);
      await ingest(h, 'ops', 'thing.happened');
      await eventually(async () => rx.deliveries('/ops').length >= 3);
      const got = rx.deliveries('/ops').slice(1).map(verify);
      const deactivated = got.find((e) => e.event === 'webhook.deactivated')!;
      assert.ok(deactivated, JSON.stringify(got.map((e) => e.event)));
      assert.equal(deactivated.entity.id, failing.id);
      assert.equal(deactivated.entity.reason, 'gone_410');
      assert.equal(deactivated.entity.state, 'deactivated');
      assert.equal(deactivated.entity.last_error.status_code, 410);
      assert.equal(got.find((e) => e.event === 'delivery.exhausted')?.entity.reason, 'gone_410');
      assert.equal(rx.deliveries('/star').filter((r) => /"event":"(webhook\.deactivated|delivery\.exhausted)"/.test(r.body)).length, 0,
        'a webhook on `*` is not an operational webhook');

      // The operational webhook itself fails for good: no delivery.exhausted about that delivery (no loop).
      rx.status.set('/ops', 500);
      await h.api('PATCH', `/orgs/ops/webhooks/${op.id}`, { policy: NO_RETRIES });
      rx.status.set('/flaky2', 500);
      await webhook(h, 'ops', { url: rx.rx.url('/flaky2'), events: ['other.thing'], policy: NO_RETRIES });
      const before = rx.deliveries('/ops').length;
      await ingest(h, 'ops', 'other.thing');
      await eventually(async () => rx.deliveries('/ops').length === before + 1);
      await stateWhen(h, op.id, (s) => s.streak >= 1);
      await sleep(300);
      assert.equal(rx.deliveries('/ops').length, before + 1, 'its own failed delivery produced no further event');
      const rows = await h.herald.store.db.all<{ type: string; entity: string }>("SELECT type, entity FROM operational_events WHERE org_id = 'ops'");
      assert.ok(rows.every((r) => !['webhook.deactivated', 'delivery.exhausted'].includes((JSON.parse(r.entity) as { event_type?: string }).event_type ?? '')));
      assert.equal(rows.length, 4, 'exhausted, deactivated, exhausted (410), exhausted (other.thing)');
    });
  });

  describe(`failure alerts: dialog-insight daily errors and consecutive errors (${kind})`, () => {
    let h: TestHerald;
    let rx: ScriptedReceiver;
    // 8 hours last four seconds, a day twelve: the first 100 errors fit in 8 hours even on a busy machine.
    const scale = 7_200;
    before(async () => {
      rx = await ScriptedReceiver.start();
      h = await TestHerald.start(kind, { clockScale: scale, smtpUrl: smtp.url });
      await org(h, 'di');
    });
    after(async () => {
      await h.stop();
      await rx.rx.close();
    });

    test('mail after the 1st, 10th and 100th error of the day; deactivated after 100 consecutive errors spanning 8 hours', async () => {
      rx.status.set('/di', 503);
      const w = await webhook(h, 'di', { url: rx.rx.url('/di'), events: ['contact.updated'], preset: 'dialog-insight', policy: NO_RETRIES });
      // The whole test must fall in one (scaled) server day: start a new one unless most of this one is left.
      const dayLeft = nextServerDayAt(Date.now(), scale) - Date.now();
      if (dayLeft < 9_000) await sleep(dayLeft + 10);
      await ingest(h, 'di', 'contact.updated');
      await stateWhen(h, w.id, (s) => s.day_errors === 1);
      assert.deepEqual(await kindsOf(h, w.id), ['daily_errors']);
      await ingest(h, 'di', 'contact.updated', 8);
      await stateWhen(h, w.id, (s) => s.day_errors === 9);
      assert.deepEqual(await kindsOf(h, w.id), ['daily_errors']);
      await ingest(h, 'di', 'contact.updated');
      await stateWhen(h, w.id, (s) => s.day_errors === 10);
      await ingest(h, 'di', 'contact.updated', 90);
      const s100 = await stateWhen(h, w.id, (s) => s.day_errors === 100);
      assert.equal(s100.streak, 100);
      assert.deepEqual(await kindsOf(h, w.id), ['daily_errors', 'daily_errors', 'daily_errors']);
      assert.equal((await webhookState(h, 'di', w.id)).state, 'enabled', '100 errors, but within less than 8 hours');
      // In the order they were written, even when the 10th's and the 100th's leave in one mailer pass.
      const mails = await smtp.waitFor(w.id, 3);
      const nth = (m: (typeof mails)[number]) => Number(/(\d+)(st|th) error today/.exec(m.subject)?.[1]);
      assert.deepEqual(mails.map(nth), [1, 10, 100]);
      assert.match(mails[0]!.text, /next mail comes at the 10th error today/);
      assert.match(mails[0]!.text, /HTTP status 503/);

      await sleep(Math.max(0, s100.failing_since! + (8 * 3600_000) / scale - Date.now()) + 20);
      await ingest(h, 'di', 'contact.updated');
      await stateWhen(h, w.id, (s) => s.deactivated_revision !== null);
      const ws = await webhookState(h, 'di', w.id);
      assert.deepEqual([ws.state, ws.state_reason], ['deactivated', 'consecutive_errors']);
      assert.deepEqual(await kindsOf(h, w.id), ['daily_errors', 'daily_errors', 'daily_errors', 'deactivated']);
      const last = (await smtp.waitFor(w.id, 4))[3]!;
      assert.match(last.text, /101 consecutive errors/);
    });
  });

  describe(`failure alerts: standard, 5 days of nothing but failures (${kind})`, () => {
    let h: TestHerald;
    let rx: ScriptedReceiver;
    before(async () => {
      rx = await ScriptedReceiver.start();
      // Five days last a second.
      h = await TestHerald.start(kind, { clockScale: 432_000, smtpUrl: smtp.url });
      await org(h, 'std');
    });
    after(async () => {
      await h.stop();
      await rx.rx.close();
    });

    test('no mail while failing; a success restarts the 5 days; deactivated and mailed once they pass', async () => {
      rx.status.set('/std', 500);
      const w = await webhook(h, 'std', { url: rx.rx.url('/std'), events: ['order.paid'], policy: NO_RETRIES });
      await ingest(h, 'std', 'order.paid');
      const first = await stateWhen(h, w.id, (s) => s.streak === 1);
      rx.status.set('/std', 200);
      await ingest(h, 'std', 'order.paid');
      await eventually(async () => rx.deliveries('/std').length === 2);
      // Some time between the first failure and the restart, so the two 5-day spans differ clearly.
      await sleep(300);
      rx.status.set('/std', 500);
      await ingest(h, 'std', 'order.paid');
      const restarted = await stateWhen(h, w.id, (s) => s.streak === 1 && s.failing_since! > first.failing_since!);
      // Five days after the first failure, but not after the restart.
      await sleep(Math.max(0, first.failing_since! + 1000 - Date.now()) + 20);
      await ingest(h, 'std', 'order.paid');
      await stateWhen(h, w.id, (s) => s.streak === 2);
      assert.equal((await webhookState(h, 'std', w.id)).state, 'enabled');
      await sleep(Math.max(0, restarted.failing_since! + 1000 - Date.now()) + 20);
      await ingest(h, 'std', 'order.paid');
      await stateWhen(h, w.id, (s) => s.deactivated_revision !== null);
      const ws = await webhookState(h, 'std', w.id);
      assert.deepEqual([ws.state, ws.state_reason], ['deactivated', 'failing_5_days']);
      assert.deepEqual(await kindsOf(h, w.id), ['deactivated'], 'standard mails only on deactivation');
      const [m] = await smtp.waitFor(w.id, 1);
      assert.match(m!.text, /nothing but failures for 5 days/);
    });
  });
}

describe('alerts with several processes on one PostgreSQL store', () => {
  const kind: StoreKind = 'postgres';
  test('two workers failing the same webhook at once send each ladder mail once', async () => {
    const rx = await ScriptedReceiver.start();
    // Four requests in flight per process: neither can take all the work.
    const worker = { claimBatch: 4, maxInFlight: 4 };
    // In-process engines: the test counts what each evaluator is handed.
    // An hour lasts 10 s: all 40 failures fall within the hour of the first warning, however busy the machine.
    const a = await TestHerald.start(kind, { clockScale: 360, smtpUrl: smtp.url, worker, threads: 'single' });
    const b = await TestHerald.start(kind, { clockScale: 360, smtpUrl: smtp.url, worker, threads: 'single' }, a.store);
    const evaluated = new Map<TestHerald, number>();
    for (const t of [a, b]) {
      const evaluator = t.herald.alerts!.evaluator;
      const completed = evaluator.completed.bind(evaluator);
      evaluator.completed = (batch, fenced) => {
        evaluated.set(t, (evaluated.get(t) ?? 0) + batch.length);
        completed(batch, fenced);
      };
    }
    try {
      await org(a, 'multi');
      rx.status.set('/multi', 500);
      rx.rx.respond(async (r, res) => {
        await sleep(20); // keep both workers busy at once
        res.statusCode = rx.status.get(r.path) ?? 200;
        res.end('no');
      });
      const w = await webhook(a, 'multi', { url: rx.rx.url('/multi'), events: ['m.m'], preset: 'salesiq', policy: NO_RETRIES });
      await ingest(a, 'multi', 'm.m', 40);
      await stateWhen(a, w.id, (s) => s.streak === 40, 10_000);
      const attempts = await b.herald.store.db.get<{ n: number }>('SELECT count(*) AS n FROM attempts WHERE webhook_id = ?', [w.id]);
      assert.equal(Number(attempts?.n), 40);
      assert.ok((evaluated.get(a) ?? 0) > 0 && (evaluated.get(b) ?? 0) > 0, 'both processes attempted and evaluated some');
      assert.deepEqual(await kindsOf(a, w.id), ['warning_1'], 'one warning, whichever process evaluated which batch');
      await smtp.waitFor(w.id, 1);
      await sleep(100);
      assert.equal(smtp.about(w.id).length, 1);
    } finally {
      await b.stop(false);
      await a.stop();
      await rx.rx.close();
    }
  });
});

describe('alert mail delivery', () => {
  test('an SMTP server that answers 451 first: the mail is retried and sent once', async () => {
    const flaky = await TestSmtpServer.start({ failFirst: 1 });
    const rx = await ScriptedReceiver.start();
    const h = await TestHerald.start('sqlite', { clockScale: 3600, smtpUrl: flaky.url });
    try {
      await org(h, 'retry');
      rx.status.set('/r', 410);
      const w = await webhook(h, 'retry', { url: rx.rx.url('/r'), events: ['r.r'] });
      await ingest(h, 'retry', 'r.r');
      const [m] = await flaky.waitFor(w.id, 1);
      assert.equal(flaky.refused, 1);
      assert.equal(m!.headers['x-herald-alert'], 'deactivated');
      const row = await eventually(async () => (await outbox(h, w.id)).find((r) => r.status === 'sent'));
      assert.equal(row.attempts, 2);
    } finally {
      await h.stop();
      await rx.rx.close();
      await flaky.close();
    }
  });

  test('without HERALD_SMTP_URL alert mail is off: the decision is kept as skipped, nothing is sent', async () => {
    const rx = await ScriptedReceiver.start();
    const h = await TestHerald.start('sqlite', { clockScale: 3600 });
    try {
      await org(h, 'nomail');
      rx.status.set('/n', 410);
      const w = await webhook(h, 'nomail', { url: rx.rx.url('/n'), events: ['n.n'] });
      await ingest(h, 'nomail', 'n.n');
      const row = await eventually(async () => (await outbox(h, w.id)).find((r) => r.status === 'skipped'));
      assert.equal(row.kind, 'deactivated');
      assert.equal((await webhookState(h, 'nomail', w.id)).state, 'deactivated');
    } finally {
      await h.stop();
      await rx.rx.close();
    }
  });
});
