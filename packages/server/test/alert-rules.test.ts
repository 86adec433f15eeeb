import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AlertEvaluator, failureOf } from '../src/alerts/alert-evaluator.js';
import { DAY_MS, nextServerDayAt, serverDay } from '../src/alerts/daily-errors.js';
import { evaluateAlerts } from '../src/alerts/evaluate.js';
import { composeAlertMail, humanDuration } from '../src/alerts/mail-text.js';
import { deliveryExhaustedEvent, webhookDeactivatedEvent } from '../src/alerts/operational-events.js';
import { actorEmail, alertRecipients, apiKeyActors } from '../src/alerts/recipients.js';
import { alertRuleView } from '../src/alerts/rule-view.js';
import { INITIAL_ALERT_STATE, type AlertAction, type AlertState, type Failure, type WebhookFacts } from '../src/alerts/types.js';
import { compileStrict } from '../src/api/validation.js';
import { SYSTEM_EVENT_TYPES } from '../src/catalogue/system.js';
import { createLogger } from '../src/ops/logger.js';
import { PRESETS } from '../src/policy/presets.js';
import { insertOrg } from '../src/store/queries/orgs.js';
import { openStore, type Store } from '../src/store/store.js';
import type { DeliveryResult } from '../src/store/types.js';
import { ManualClock } from './helpers/manual-clock.js';
import { addWebhook } from './helpers/store-fixtures.js';
import { freshStore } from './helpers/stores.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 2, 12, 0, 0);
const ladder = PRESETS.salesiq.alerts;
const daily = PRESETS['dialog-insight'].alerts;
const days = PRESETS.standard.alerts;

let seq = 0;
const fail = (at: number, extra: Partial<Failure> = {}): Failure => ({
  at, delivery_id: `msg_${++seq}`, status_code: 500, error_code: 'status', error_message: 'status 500', response_excerpt: 'boom', gone: false, ...extra,
});
const enabled = (last_success_at: number | null = null, revision = 1): WebhookFacts => ({ state: 'enabled', state_reason: null, revision, last_success_at });

/** Feeds failures one evaluation at a time (as separate batches would), collecting every action. */
function run(rule: typeof ladder, failures: Failure[], webhook: WebhookFacts = enabled(), scale = 1, from: AlertState = INITIAL_ALERT_STATE) {
  let state = { ...from };
  const actions: AlertAction[] = [];
  for (const f of failures) {
    const r = evaluateAlerts(rule, state, webhook, [f], scale);
    state = r.state;
    actions.push(...r.actions);
  }
  return { state, actions };
}
const kinds = (actions: AlertAction[]) => actions.map((a) => (a.type === 'warning' ? `warning_${a.step}` : a.type === 'daily_errors' ? `day_${a.count}` : `${a.type}:${a.reason}`));

describe('failure ladder (salesiq, seed 000)', () => {
  test('no mail on the 1st failure; warning 1 on the 2nd when nothing ever succeeded', () => {
    const one = run(ladder, [fail(T0)]);
    assert.deepEqual(kinds(one.actions), []);
    assert.equal(one.state.streak, 1);
    const two = run(ladder, [fail(T0 + 1000)], enabled(), 1, one.state);
    assert.deepEqual(kinds(two.actions), ['warning_1']);
    assert.equal(two.state.step, 1);
    assert.equal(two.state.warned_at, T0 + 1000);
  });

  test('warning 1 waits until no success in the past hour, then comes on the next failure', () => {
    const lastSuccess = T0 - 10 * 60_000;
    const r = run(ladder, [fail(T0), fail(T0 + 60_000), fail(T0 + 40 * 60_000)], enabled(lastSuccess));
    assert.deepEqual(kinds(r.actions), [], 'a success 10 minutes before: no warning yet');
    const later = run(ladder, [fail(T0 + 50 * 60_000 + 1)], enabled(lastSuccess), 1, r.state);
    assert.deepEqual(kinds(later.actions), ['warning_1'], 'the 4th failure, an hour after the success');
  });

  test('warning 2 and deactivation each need an hour without success since the previous mail', () => {
    const r = run(ladder, [
      fail(T0), fail(T0 + 1), // warning 1 at T0+1
      fail(T0 + 30 * 60_000), fail(T0 + H), // < 1 h after warning 1: nothing
      fail(T0 + H + 1), // warning 2
      fail(T0 + 1.5 * H), fail(T0 + 2 * H), // < 1 h after warning 2
      fail(T0 + 2 * H + 1), // deactivate
    ]);
    assert.deepEqual(kinds(r.actions), ['warning_1', 'warning_2', 'deactivate:failure_ladder']);
    assert.equal(r.state.step, 3);
  });

  test('a success resets the ladder; failures older than it count for nothing', () => {
    const warned = run(ladder, [fail(T0), fail(T0 + 1)]);
    assert.equal(warned.state.step, 1);
    const success = T0 + 10;
    const after = evaluateAlerts(ladder, warned.state, enabled(success), [fail(T0 + 5), fail(T0 + 20)], 1);
    assert.deepEqual(kinds(after.actions), []);
    assert.equal(after.state.step, 0);
    assert.equal(after.state.streak, 1, 'only the failure after the success');
    assert.equal(after.state.success_seen_at, success);
  });

  test('windows are divided by the clock scale', () => {
    const scale = 3600; // an hour is a second
    const r = run(ladder, [fail(T0), fail(T0 + 1), fail(T0 + 999), fail(T0 + 1002), fail(T0 + 2003)], enabled(), scale);
    assert.deepEqual(kinds(r.actions), ['warning_1', 'warning_2', 'deactivate:failure_ladder']);
  });

  test('a disabled webhook counts nothing; a 410 reports its deactivation once; re-enabling starts afresh', () => {
    const disabled: WebhookFacts = { state: 'disabled', state_reason: null, revision: 2, last_success_at: null };
    const d = evaluateAlerts(ladder, INITIAL_ALERT_STATE, disabled, [fail(T0), fail(T0 + 1)], 1);
    assert.deepEqual(d.actions, []);
    assert.equal(d.state.streak, 0);

    const gone: WebhookFacts = { state: 'deactivated', state_reason: 'gone_410', revision: 5, last_success_at: null };
    const warned = run(ladder, [fail(T0), fail(T0 + 1)]);
    const g = evaluateAlerts(ladder, warned.state, gone, [fail(T0 + 2, { status_code: 410, gone: true })], 1);
    assert.deepEqual(kinds(g.actions), ['deactivated:gone_410']);
    assert.equal(g.state.deactivated_revision, 5);
    assert.equal(g.state.streak, 3, 'the 410 counts as a failure too');
    const again = evaluateAlerts(ladder, g.state, gone, [fail(T0 + 3, { status_code: 410, gone: true })], 1);
    assert.deepEqual(again.actions, [], 'a second 410 in flight at the time reports nothing more');
    const reEnabled = evaluateAlerts(ladder, g.state, enabled(null, 6), [fail(T0 + 10)], 1);
    assert.equal(reEnabled.state.deactivated_revision, null);
    assert.equal(reEnabled.state.step, 0);
    assert.equal(reEnabled.state.streak, 1);
  });
});

describe('daily errors (dialog-insight, seed 004)', () => {
  test('mail after the 1st, 10th, 100th, 1000th and 10000th error of a day; a new day counts afresh', () => {
    const day0 = serverDay(T0, 1);
    const start = nextServerDayAt(T0, 1);
    assert.equal(serverDay(start, 1), day0 + 1);
    assert.equal(serverDay(start - 1, 1), day0);
    let state: AlertState = { ...INITIAL_ALERT_STATE };
    const counts: number[] = [];
    // 10,000 errors in a few minutes; a success now and then so the streak rule stays out of it.
    for (let i = 1; i <= 10_000; i++) {
      const r = evaluateAlerts(daily, state, enabled(i > 50 ? start + (i - 50) * 10 : null), [fail(start + i * 10 + 5)], 1);
      state = r.state;
      for (const a of r.actions) if (a.type === 'daily_errors') counts.push(a.count);
    }
    assert.deepEqual(counts, [1, 10, 100, 1000, 10000]);
    const nextDay = evaluateAlerts(daily, state, enabled(start + 10_000 * 10), [fail(start + DAY_MS + 1)], 1);
    assert.deepEqual(kinds(nextDay.actions), ['day_1']);
  });

  test('deactivate after at least 100 consecutive errors spanning at least 8 hours, not before', () => {
    // 150 errors within 7 hours: no deactivation.
    const quick = run(daily, Array.from({ length: 150 }, (_, i) => fail(T0 + i * 60_000)));
    assert.ok(!kinds(quick.actions).some((k) => k.startsWith('deactivate')));
    const late = evaluateAlerts(daily, quick.state, enabled(), [fail(T0 + 8 * H)], 1);
    assert.deepEqual(kinds(late.actions), ['deactivate:consecutive_errors']);
    // 99 errors over 9 hours: not enough errors; the 100th is.
    const slow = run(daily, Array.from({ length: 99 }, (_, i) => fail(T0 + i * 6 * 60_000)));
    assert.ok(!kinds(slow.actions).some((k) => k.startsWith('deactivate')));
    const hundredth = evaluateAlerts(daily, slow.state, enabled(), [fail(T0 + 99 * 6 * 60_000)], 1);
    assert.deepEqual(kinds(hundredth.actions), ['deactivate:consecutive_errors']);
  });

  test('a success resets the consecutive count, not the day count', () => {
    const r = run(daily, Array.from({ length: 9 }, (_, i) => fail(T0 + i)));
    assert.equal(r.state.day_errors, 9);
    const after = evaluateAlerts(daily, r.state, enabled(T0 + 100), [fail(T0 + 200)], 1);
    assert.equal(after.state.streak, 1);
    assert.deepEqual(kinds(after.actions), ['day_10']);
  });

  test('with a clock scale a day lasts DAY/scale, counted from the epoch in server time', () => {
    const scale = 28_800;
    const length = DAY_MS / scale;
    const d = serverDay(T0, scale);
    const next = nextServerDayAt(T0, scale);
    assert.ok(next > T0 && next - T0 <= length + 1);
    assert.equal(serverDay(next, scale), d + 1);
    assert.equal(serverDay(next - 1, scale), d);
  });
});

describe('failing days (standard)', () => {
  test('deactivate on a failure 5 days after the first of a streak, with no success between', () => {
    const r = run(days, [fail(T0), fail(T0 + 2 * DAY_MS), fail(T0 + 5 * DAY_MS - 1)]);
    assert.deepEqual(kinds(r.actions), []);
    const last = evaluateAlerts(days, r.state, enabled(), [fail(T0 + 5 * DAY_MS)], 1);
    assert.deepEqual(kinds(last.actions), ['deactivate:failing_5_days']);
    const reset = evaluateAlerts(days, r.state, enabled(T0 + 3 * DAY_MS), [fail(T0 + 5 * DAY_MS)], 1);
    assert.deepEqual(kinds(reset.actions), [], 'a success on day 3 starts the count again');
    assert.equal(reset.state.failing_since, T0 + 5 * DAY_MS);
  });

  test('smarterbot mails about nothing but 410', () => {
    const r = run(PRESETS.smarterbot.alerts, Array.from({ length: 500 }, (_, i) => fail(T0 + i * H)));
    assert.deepEqual(r.actions, []);
  });
});

describe('recipients, mail text, events', () => {
  test('owner, alert_emails, creator and modifier, each once whatever the case', () => {
    const keys = new Map([['ak_1', 'Dev@Acme.test'], ['ak_2', 'ops@acme.test']]);
    assert.deepEqual(apiKeyActors(['ak_1', 'portal:x@y.test', null, 'ak_1']), ['ak_1']);
    assert.equal(actorEmail('portal:pat@customer.test', keys), 'pat@customer.test');
    assert.equal(actorEmail('portal', keys), null);
    assert.equal(actorEmail('ak_9', keys), null);
    assert.deepEqual(
      alertRecipients('owner@acme.test', ['OWNER@acme.test', 'oncall@acme.test'], ['ak_1', 'portal:dev@acme.test', 'ak_3', null], keys),
      ['owner@acme.test', 'oncall@acme.test', 'Dev@Acme.test'],
    );
  });

  test('a mail says which webhook, what failed, what happens next, and how to re-enable', () => {
    const w = { id: 'wh_1', org_id: 'acme', url: 'https://crm.example/h', description: 'CRM', preset: 'salesiq' };
    const f = fail(T0, { response_excerpt: 'x'.repeat(500) });
    const ctx = { rule: ladder, state: { ...INITIAL_ALERT_STATE, streak: 2 }, scale: 1, publicUrl: 'https://herald.example/' };
    const warn = composeAlertMail({ type: 'warning', step: 1, failure: f }, w, ctx);
    assert.equal(warn.kind, 'warning_1');
    for (const s of ['wh_1', 'https://crm.example/h', 'HTTP status 500', 'x'.repeat(500), 'second warning', '{"state":"enabled"}', '/recover', 'https://herald.example/#/webhooks/wh_1']) {
      assert.ok(warn.text.includes(s), `warning text has ${s}`);
    }
    const off = composeAlertMail({ type: 'deactivated', reason: 'gone_410', failure: fail(T0, { status_code: 410 }) }, w, { ...ctx, publicUrl: undefined });
    assert.equal(off.kind, 'deactivated');
    assert.match(off.text, /410 Gone/);
    assert.match(off.text, /skipped deliveries/);
    assert.ok(!off.text.includes('#/webhooks'), 'no dashboard link without HERALD_PUBLIC_URL');
    const timeout = composeAlertMail({ type: 'daily_errors', count: 10, failure: fail(T0, { status_code: null, error_code: 'timeout', error_message: 'no answer in 15000 ms', response_excerpt: null }) }, { ...w, preset: 'dialog-insight' }, { ...ctx, rule: daily });
    assert.match(timeout.text, /error timeout: no answer in 15000 ms/);
    assert.match(timeout.text, /next mail comes at the 100th error today/);
    assert.equal(humanDuration(8 * H), '8 hours');
    assert.equal(humanDuration(H), '1 hour');
  });

  test('operational event entities match the schemas registered in the catalogue', () => {
    const schemas = new Map(SYSTEM_EVENT_TYPES.map((t) => [t.name, compileStrict(t.schema as object)]));
    const f = fail(T0, { status_code: 410, gone: true });
    const deactivated = webhookDeactivatedEvent({ id: 'wh_1', org_id: 'acme', url: 'https://x.example', description: '', preset: 'standard' }, 'gone_410', { ...INITIAL_ALERT_STATE, streak: 1, failing_since: T0 }, f, T0);
    const exhausted = deliveryExhaustedEvent({ id: 'msg_1', org_id: 'acme', webhook_id: 'wh_1', webhook_url: 'https://x.example', event_id: 'evt_1', event_type: 'a.b', attempts: 4 }, f);
    for (const e of [deactivated, exhausted]) {
      const validate = schemas.get(e.type)!;
      assert.ok(validate(e.entity), JSON.stringify(validate.errors));
    }
    assert.equal(exhausted.entity.reason, 'gone_410');
    for (const t of SYSTEM_EVENT_TYPES) assert.ok(schemas.get(t.name)!(t.example), `${t.name} example matches its schema`);
  });

  test('failureOf keeps failed non-test attempts and quotes at most 500 characters', () => {
    const attempt = {
      id: 'att_1', delivery_id: 'msg_1', webhook_id: 'wh_1', org_id: 'acme', attempt: 1, started_at: T0, duration_ms: 3, outcome: 'failure' as const,
      status_code: 500, error_code: 'status' as const, error_message: 'status 500', request_headers: {}, response_headers: {}, response_body: 'y'.repeat(2000),
      response_truncated: false, is_test: false,
    };
    const r: DeliveryResult = { delivery_id: 'msg_1', webhook_id: 'wh_1', lease_token: 't', status: 'failed', next_attempt_at: null, attempt };
    assert.equal(failureOf(r)!.response_excerpt!.length, 500);
    assert.equal(failureOf({ ...r, attempt: { ...attempt, is_test: true } }), null);
    assert.equal(failureOf({ ...r, attempt: { ...attempt, outcome: 'success' } }), null);
    assert.equal(failureOf({ ...r, attempt: null }), null);
    assert.equal(failureOf({ ...r, deactivate_reason: 'gone_410' })!.gone, true);
  });

  test('presets carry their alert rule as data, shown by the API', () => {
    assert.deepEqual(alertRuleView(ladder), { rule: 'failure-ladder', window: '1h', on_410: 'deactivate and mail' });
    assert.deepEqual(alertRuleView(daily), { rule: 'daily-errors', mail_at: [1, 10, 100, 1000, 10000], on_410: 'deactivate and mail', deactivate_after: { errors: 100, span: '8h' } });
    assert.deepEqual(alertRuleView(days), { rule: 'failing-days', span: '5d', on_410: 'deactivate and mail' });
  });
});

describe('cost on the hot path', () => {
  /** A store that records every call made to it (and does nothing). */
  function countingStore(calls: string[]): Store {
    const db = new Proxy({}, {
      get: (_t, name) => (..._args: unknown[]) => {
        calls.push(String(name));
        return Promise.resolve(name === 'transaction' ? { mails: 0, events: 0 } : []);
      },
    });
    return { dialect: 'sqlite', db } as unknown as Store;
  }
  const result = (i: number, outcome: 'success' | 'failure', isTest = false): DeliveryResult => ({
    delivery_id: `msg_${i}`, webhook_id: `wh_${i % 7}`, lease_token: 't', status: outcome === 'success' ? 'succeeded' : 'pending', next_attempt_at: null,
    attempt: {
      id: `att_${i}`, delivery_id: `msg_${i}`, webhook_id: `wh_${i % 7}`, org_id: 'acme', attempt: 1, started_at: T0 + i, duration_ms: 2, outcome,
      status_code: outcome === 'success' ? 200 : 500, error_code: outcome === 'success' ? null : 'status', error_message: null,
      request_headers: {}, response_headers: {}, response_body: 'ok', response_truncated: false, is_test: isTest,
    },
  });
  const evaluator = (calls: string[]) => new AlertEvaluator({
    store: countingStore(calls), clockScale: 1, publicUrl: undefined, log: createLogger('silent'), onMail: () => undefined, onEvents: () => undefined,
  });

  test('a batch of successes (and failed test sends) needs no statement at all; a batch with failures one transaction', async () => {
    const calls: string[] = [];
    const quiet = evaluator(calls);
    quiet.completed(Array.from({ length: 1024 }, (_, i) => result(i, 'success')), new Set());
    quiet.completed([result(1, 'failure', true)], new Set());
    await quiet.stop();
    assert.deepEqual(calls, []);
    const failing = evaluator(calls);
    failing.completed([...Array.from({ length: 511 }, (_, i) => result(i, 'success')), result(600, 'failure')], new Set());
    await failing.stop();
    assert.deepEqual(calls, ['transaction']);
  });
});

describe('the evaluator reads the clock it is given (SQLite)', () => {
  test('the alert state of a failing webhook is stamped with the injected time, not the wall clock', async () => {
    const ts = await freshStore('sqlite');
    const store = await openStore({ dataDir: ts.dataDir, databaseUrl: ts.databaseUrl });
    try {
      const wall = Date.now();
      await insertOrg(store.db, { id: 'o', name: 'O', owner_email: 'o@o.test', settings: {}, created_at: wall, updated_at: wall });
      await addWebhook(store.db, 'wh_clock', ['a.b']);
      const clock = new ManualClock(Date.UTC(2030, 5, 1, 12));
      const evaluator = new AlertEvaluator({
        store, clock, clockScale: 1, publicUrl: undefined, log: createLogger('silent'), onMail: () => undefined, onEvents: () => undefined,
      });
      const failed: DeliveryResult = {
        delivery_id: 'msg_clock', webhook_id: 'wh_clock', lease_token: 't', status: 'pending', next_attempt_at: null,
        attempt: {
          id: 'att_clock', delivery_id: 'msg_clock', webhook_id: 'wh_clock', org_id: 'o', attempt: 1, started_at: clock.now(), duration_ms: 2,
          outcome: 'failure', status_code: 500, error_code: 'status', error_message: 'status 500', request_headers: {}, response_headers: {},
          response_body: 'no', response_truncated: false, is_test: false,
        },
      };
      evaluator.completed([failed], new Set());
      await evaluator.stop();
      const row = await store.db.get<{ updated_at: number }>(`SELECT updated_at FROM webhook_alert_state WHERE webhook_id = 'wh_clock'`);
      assert.equal(Number(row?.updated_at), clock.now());
    } finally {
      await store.close();
      await ts.cleanup();
    }
  });
});
