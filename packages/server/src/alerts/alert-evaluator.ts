/**
 * Runs the alert rules after each completion batch commits. Successes are never looked at
 * (the hot path's last_success_at resets the rules lazily), so a batch without a failed
 * non-test attempt costs no statement at all. Otherwise one transaction per batch (batches
 * that queue up meanwhile are merged) locks the state rows of the webhooks that failed,
 * runs the rules, deactivates, and writes the state, the mail and the operational events
 * together: a crash leaves all of them or none.
 */
import { systemClock, type Clock } from '../background/clock.js';
import { newId } from '../ids.js';
import { OPERATIONAL_EVENT_TYPES, DELIVERY_EXHAUSTED, WEBHOOK_DEACTIVATED, isOperationalEventType } from '../catalogue/system.js';
import type { Logger } from '../ops/logger.js';
import { isPresetName, PRESETS } from '../policy/presets.js';
import * as q from '../store/queries/alerts.js';
import type { SqlExecutor } from '../store/sql.js';
import type { Store } from '../store/store.js';
import type { DeliveryResult } from '../store/types.js';
import { evaluateAlerts, resetStreak } from './evaluate.js';
import { composeAlertMail, type ReportedAlert } from './mail-text.js';
import { deliveryExhaustedEvent, webhookDeactivatedEvent, type OperationalEvent } from './operational-events.js';
import { alertRecipients, apiKeyActors } from './recipients.js';
import { RESPONSE_EXCERPT_CHARS, type Failure } from './types.js';

export interface AlertEvaluatorDeps {
  store: Store;
  clockScale: number;
  /** The time alert states are read and written with (tests: a clock moved by hand). */
  clock?: Clock | undefined;
  publicUrl: string | undefined;
  log: Logger;
  /** Called after a commit that queued mail / operational events. */
  onMail: () => void;
  onEvents: () => void;
}

/** A failed attempt of a batch, with what the delivery's result says. */
interface Picked {
  webhook_id: string;
  org_id: string;
  failure: Failure;
  /** The delivery failed for good and the result was written (not fenced). */
  exhausted: boolean;
}

/** Failures evaluated per transaction at most; more wait for the next one. */
const MAX_PER_TRANSACTION = 5000;
/** Beyond this many waiting failures (store down for long), the oldest are dropped with a warning. */
const MAX_WAITING = 200_000;

export function failureOf(r: DeliveryResult): Failure | null {
  const a = r.attempt;
  if (!a || a.is_test || a.outcome !== 'failure') return null;
  return {
    at: a.started_at,
    delivery_id: r.delivery_id,
    status_code: a.status_code,
    error_code: a.error_code,
    error_message: a.error_message,
    response_excerpt: a.response_body === null ? null : a.response_body.slice(0, RESPONSE_EXCERPT_CHARS),
    gone: r.deactivate_reason === 'gone_410',
  };
}

export class AlertEvaluator {
  private waiting: Picked[] = [];
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly d: AlertEvaluatorDeps) {}

  /**
   * The worker's hook, called after a completion batch committed. Synchronous and cheap: it
   * only picks failed non-test attempts; the evaluation runs in the background, in order.
   */
  completed(batch: readonly DeliveryResult[], fenced: ReadonlySet<string>): void {
    try {
      this.pick(batch, fenced);
    } catch (err) {
      // Never into the worker's flush: its results are committed already.
      this.d.log.error({ err }, 'handing results to the alert rules failed');
    }
  }

  private pick(batch: readonly DeliveryResult[], fenced: ReadonlySet<string>): void {
    let picked = 0;
    for (const r of batch) {
      const failure = failureOf(r);
      if (!failure) continue;
      this.waiting.push({
        webhook_id: r.webhook_id,
        org_id: r.attempt!.org_id,
        failure,
        exhausted: r.status === 'failed' && !fenced.has(r.delivery_id),
      });
      picked++;
    }
    if (picked === 0) return;
    if (this.waiting.length > MAX_WAITING) {
      const dropped = this.waiting.splice(0, this.waiting.length - MAX_WAITING);
      this.d.log.warn({ dropped: dropped.length }, 'alert evaluation is far behind (store unavailable?): oldest failures not evaluated');
    }
    this.kick();
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.waiting.length > 0 && !this.stopped) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const items = this.waiting.splice(0, MAX_PER_TRANSACTION);
      try {
        const queued = await this.evaluate(items);
        if (queued.mails > 0) this.d.onMail();
        if (queued.events > 0) this.d.onEvents();
      } catch (err) {
        this.waiting.unshift(...items);
        this.d.log.error({ err, failures: items.length }, 'evaluating alert rules failed; retrying in 1 s');
        if (this.stopped) return;
        await new Promise((r) => setTimeout(r, 1000).unref());
      }
    }
  }

  /** Waits (up to graceMs) for failures already handed over to be evaluated. */
  async stop(graceMs = 5000): Promise<void> {
    // Real time, whatever the clock: the grace bounds how long a shutdown takes.
    const until = Date.now() + graceMs;
    while ((this.running || this.waiting.length > 0) && Date.now() < until) {
      if (this.running) await Promise.race([this.running, new Promise((r) => setTimeout(r, 50))]);
      else this.kick();
    }
    this.stopped = true;
    await this.running;
  }

  private async evaluate(items: readonly Picked[]): Promise<{ mails: number; events: number }> {
    const byWebhook = new Map<string, Picked[]>();
    for (const p of items) {
      let list = byWebhook.get(p.webhook_id);
      if (!list) byWebhook.set(p.webhook_id, (list = []));
      list.push(p);
    }
    const ids = [...byWebhook.keys()].sort();
    const { store, clockScale: scale } = this.d;
    return store.db.transaction(async (tx) => {
      const now = (this.d.clock ?? systemClock).now();
      await q.ensureAlertStates(tx, ids, now);
      const rows = await q.lockAlertStates(tx, store.dialect, ids);
      const reports: { row: q.LockedAlertState; alert: ReportedAlert; state: q.LockedAlertState['state'] }[] = [];
      const events: OperationalEvent[] = [];
      for (const row of rows) {
        const preset = isPresetName(row.webhook.preset) ? row.webhook.preset : 'standard';
        const rule = PRESETS[preset].alerts;
        const failures = byWebhook.get(row.webhook_id)!.map((p) => p.failure);
        const r = evaluateAlerts(rule, row.state, row.webhook, failures, scale);
        let state = r.state;
        for (const a of r.actions) {
          if (a.type === 'warning' || a.type === 'daily_errors') {
            reports.push({ row, alert: a, state });
            continue;
          }
          if (a.type === 'deactivate') {
            const revision = await q.deactivateWebhook(tx, row.webhook_id, a.reason, now);
            if (revision === null) {
              // A person disabled it at this very moment: nothing to report; start afresh when it is enabled again.
              state = resetStreak(state);
              continue;
            }
            state = { ...state, deactivated_revision: revision };
          }
          reports.push({ row, alert: { type: 'deactivated', reason: a.reason, failure: a.failure }, state });
          events.push(webhookDeactivatedEvent({ id: row.webhook_id, ...row.webhook }, a.reason, state, a.failure, now));
          this.d.log.warn({ webhookId: row.webhook_id, orgId: row.webhook.org_id, reason: a.reason }, 'webhook deactivated');
        }
        await q.saveAlertState(tx, row.webhook_id, state, now);
      }
      const eventCount = await this.writeEvents(tx, items, rows, events, now);
      const mailCount = await this.writeMail(tx, reports, now);
      return { mails: mailCount, events: eventCount };
    });
  }

  /** Writes webhook.deactivated and delivery.exhausted events for orgs that have a webhook naming them. */
  private async writeEvents(tx: SqlExecutor, items: readonly Picked[], rows: readonly q.LockedAlertState[], deactivated: OperationalEvent[], now: number): Promise<number> {
    const exhausted = items.filter((p) => p.exhausted);
    if (exhausted.length === 0 && deactivated.length === 0) return 0;
    const orgIds = [...new Set([...exhausted.map((p) => p.org_id), ...deactivated.map((e) => e.org_id)])];
    const subscribed = await q.operationalSubscriptions(tx, orgIds, OPERATIONAL_EVENT_TYPES);
    const wants = (org: string, type: string) => subscribed.has(`${org}\u0000${type}`);
    const out = deactivated.filter((e) => wants(e.org_id, WEBHOOK_DEACTIVATED));
    const exhaust = exhausted.filter((p) => wants(p.org_id, DELIVERY_EXHAUSTED));
    if (exhaust.length > 0) {
      const urls = new Map(rows.map((r) => [r.webhook_id, r.webhook.url]));
      const details = new Map((await q.exhaustedDeliveries(tx, exhaust.map((p) => p.failure.delivery_id))).map((d) => [d.id, d]));
      for (const p of exhaust) {
        const d = details.get(p.failure.delivery_id);
        // Never about a delivery of an operational event itself: a failing operational webhook must not feed itself.
        if (!d || isOperationalEventType(d.event_type)) continue;
        out.push(deliveryExhaustedEvent({
          id: d.id, org_id: p.org_id, webhook_id: p.webhook_id, webhook_url: urls.get(p.webhook_id) ?? '', event_id: d.event_id,
          event_type: d.event_type, attempts: d.attempts,
        }, p.failure));
      }
    }
    for (const e of out) {
      await q.insertOperationalEvent(tx, {
        id: newId('opev', now), org_id: e.org_id, type: e.type, entity_type: e.entity_type, entity_id: e.entity_id,
        entity: JSON.stringify(e.entity), event_time: e.event_time, created_at: now,
      });
    }
    return out.length;
  }

  /** Queues one mail per report to the org owner, alert_emails, creator and modifier (unless the org turned mail off). */
  private async writeMail(tx: SqlExecutor, reports: readonly { row: q.LockedAlertState; alert: ReportedAlert; state: q.LockedAlertState['state'] }[], now: number): Promise<number> {
    if (reports.length === 0) return 0;
    const orgs = await q.alertOrgs(tx, [...new Set(reports.map((r) => r.row.webhook.org_id))]);
    const keyEmails = await q.apiKeyEmails(tx, apiKeyActors(reports.flatMap((r) => [r.row.webhook.created_by, r.row.webhook.modified_by])));
    let n = 0;
    for (const { row, alert, state } of reports) {
      const w = row.webhook;
      const org = orgs.get(w.org_id);
      if (!org || org.settings.alert_mail === 'off') continue;
      const preset = isPresetName(w.preset) ? w.preset : 'standard';
      const mail = composeAlertMail(alert, { id: row.webhook_id, org_id: w.org_id, url: w.url, description: w.description, preset: w.preset }, {
        rule: PRESETS[preset].alerts, state, scale: this.d.clockScale, publicUrl: this.d.publicUrl,
      });
      const recipients = alertRecipients(org.owner_email, w.alert_emails, [w.created_by, w.modified_by], keyEmails);
      await q.insertMail(tx, {
        id: newId('mail', now), org_id: w.org_id, webhook_id: row.webhook_id, kind: mail.kind, recipients,
        subject: mail.subject, text: mail.text,
      }, now);
      n++;
    }
    return n;
  }
}
