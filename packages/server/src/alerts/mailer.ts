/**
 * Sends alert mail from the mail_outbox table over SMTP (nodemailer). Runs in every worker
 * process: it leases due rows in batches (SKIP LOCKED on PostgreSQL), sends them, and writes
 * each outcome fenced by the lease, so two processes never send the same row and a process
 * that dies mid-send leaves its rows to be sent again once the lease expires. It sleeps on a
 * timer until the next due retry and is woken by the evaluator after a commit that queued mail.
 *
 * Without HERALD_SMTP_URL alert mail is off: this is logged once at start, and queued rows
 * are marked `skipped` (kept, so the outbox still shows what would have been sent).
 */
import { createTransport } from 'nodemailer';
import type { Clock } from '../background/clock.js';
import { BackgroundService } from '../background/service.js';
import { randomToken } from '../ids.js';
import type { Logger } from '../ops/logger.js';
import * as q from '../store/queries/alerts.js';
import type { Store } from '../store/store.js';

export interface MailerDeps {
  store: Store;
  smtpUrl: string | undefined;
  smtpFrom: string;
  clockScale: number;
  log: Logger;
  /** Longest sleep without a look at the outbox (rows of other processes, expired leases). */
  idleCheckMs: number;
  clock?: Clock;
}

/** Delays after each failed try (divided by the clock scale, at least MIN_RETRY_MS); then the mail is `failed`. */
export const MAIL_RETRY_MS = [30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000];
const MIN_RETRY_MS = 100;
const BATCH = 20;
const LEASE_MS = 60_000;

interface SmtpError {
  message?: string;
  responseCode?: number;
  code?: string;
}

/** Minimal seam over nodemailer, so the mailer can be driven without a server in unit tests. */
export interface MailTransport {
  sendMail(m: { from: string; to: string[]; subject: string; text: string; headers: Record<string, string> }): Promise<unknown>;
  close(): void;
}

export class AlertMailer extends BackgroundService {
  private readonly transport: MailTransport | null;

  constructor(private readonly d: MailerDeps, transport?: MailTransport) {
    super({ name: 'alert mailer', log: d.log, clock: d.clock });
    this.transport = transport ?? (d.smtpUrl
      ? (createTransport({ url: d.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }) as unknown as MailTransport)
      : null);
  }

  override start(): void {
    if (!this.running && !this.transport) this.log.info('alert mail is off (HERALD_SMTP_URL is not set): queued alert mail is marked skipped');
    super.start();
  }

  protected async look(): Promise<number | null> {
    const { store } = this.d;
    try {
      for (;;) {
        const token = randomToken(12);
        const rows = await q.claimMail(store.db, store.dialect, this.now(), LEASE_MS, token, BATCH);
        if (rows.length > 0) await q.finishMail(store.db, token, await this.sendInOrder(rows));
        if (rows.length < BATCH || !this.running) break;
      }
      const next = await q.nextMailDueAt(store.db);
      return Math.min(next ?? Number.POSITIVE_INFINITY, this.now() + this.d.idleCheckMs);
    } catch (err) {
      this.log.error({ err }, 'sending alert mail failed; trying again in 1 s');
      return this.now() + 1000;
    }
  }

  /**
   * Sends a batch: one webhook's mails one after the other, oldest first (ids sort by creation),
   * so its owner reads them in the order they were written (the 10th error of the day before the
   * 100th); different webhooks' mails at the same time.
   */
  private async sendInOrder(rows: readonly q.OutboxMail[]): Promise<q.MailOutcome[]> {
    const byWebhook = new Map<string, q.OutboxMail[]>();
    for (const m of [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
      const list = byWebhook.get(m.webhook_id);
      if (list) list.push(m);
      else byWebhook.set(m.webhook_id, [m]);
    }
    const outcomes = await Promise.all([...byWebhook.values()].map(async (mails) => {
      const out: q.MailOutcome[] = [];
      for (const m of mails) out.push(await this.send(m));
      return out;
    }));
    return outcomes.flat();
  }

  private async send(m: q.OutboxMail): Promise<q.MailOutcome> {
    if (!this.transport) return { id: m.id, status: 'skipped', at: this.now() };
    try {
      await this.transport.sendMail({
        from: this.d.smtpFrom,
        to: m.recipients,
        subject: m.subject,
        text: m.text,
        headers: { 'X-Herald-Alert': m.kind, 'X-Herald-Webhook': m.webhook_id, 'X-Herald-Org': m.org_id },
      });
      this.log.info({ mailId: m.id, webhookId: m.webhook_id, kind: m.kind, to: m.recipients.length }, 'alert mail sent');
      return { id: m.id, status: 'sent', at: this.now() };
    } catch (e) {
      const err = e as SmtpError;
      const error = `${err.responseCode ?? err.code ?? 'error'}: ${err.message ?? String(e)}`;
      // A 5xx answer is permanent (bad address, refused): trying again would not help.
      const permanent = typeof err.responseCode === 'number' && err.responseCode >= 500;
      const delay = MAIL_RETRY_MS[m.attempts];
      if (permanent || delay === undefined) {
        this.log.error({ mailId: m.id, webhookId: m.webhook_id, error }, 'alert mail could not be sent; giving up');
        return { id: m.id, status: 'failed', error };
      }
      const wait = Math.max(MIN_RETRY_MS, delay / this.d.clockScale);
      this.log.warn({ mailId: m.id, error, retryInMs: Math.round(wait) }, 'alert mail not sent; will retry');
      return { id: m.id, status: 'pending', error, next_try_at: this.now() + wait };
    }
  }

  /** After a batch being sent: closes the SMTP connection. */
  protected override async afterStop(): Promise<void> {
    this.transport?.close();
  }
}
