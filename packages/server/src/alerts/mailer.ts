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
import { randomToken } from '../ids.js';
import type { Logger } from '../ops/logger.js';
import * as q from '../store/queries/alerts.js';
import type { Store } from '../store/store.js';
import { WakeTimer } from '../engine/wake-timer.js';
import { SerialRunner } from '../engine/serial-runner.js';

export interface MailerDeps {
  store: Store;
  smtpUrl: string | undefined;
  smtpFrom: string;
  clockScale: number;
  log: Logger;
  /** Longest sleep without a look at the outbox (rows of other processes, expired leases). */
  idleCheckMs: number;
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

export class AlertMailer {
  private running = false;
  private readonly looks = new SerialRunner(() => this.look(), () => this.running);
  private readonly timer = new WakeTimer(() => this.wake());
  private readonly transport: MailTransport | null;

  constructor(private readonly d: MailerDeps, transport?: MailTransport) {
    this.transport = transport ?? (d.smtpUrl
      ? (createTransport({ url: d.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }) as unknown as MailTransport)
      : null);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (!this.transport) this.d.log.info('alert mail is off (HERALD_SMTP_URL is not set): queued alert mail is marked skipped');
    this.wake();
  }

  wake(): void {
    this.looks.wake();
  }

  private async look(): Promise<void> {
    const { store } = this.d;
    try {
      for (;;) {
        const token = randomToken(12);
        const rows = await q.claimMail(store.db, store.dialect, Date.now(), LEASE_MS, token, BATCH);
        if (rows.length > 0) await q.finishMail(store.db, token, await Promise.all(rows.map((m) => this.send(m))));
        if (rows.length < BATCH || !this.running) break;
      }
      const next = await q.nextMailDueAt(store.db);
      const now = Date.now();
      this.arm(Math.min(next ?? Number.POSITIVE_INFINITY, now + this.d.idleCheckMs));
    } catch (err) {
      this.d.log.error({ err }, 'sending alert mail failed; trying again in 1 s');
      this.arm(Date.now() + 1000);
    }
  }

  private async send(m: q.OutboxMail): Promise<q.MailOutcome> {
    if (!this.transport) return { id: m.id, status: 'skipped', at: Date.now() };
    try {
      await this.transport.sendMail({
        from: this.d.smtpFrom,
        to: m.recipients,
        subject: m.subject,
        text: m.text,
        headers: { 'X-Herald-Alert': m.kind, 'X-Herald-Webhook': m.webhook_id, 'X-Herald-Org': m.org_id },
      });
      this.d.log.info({ mailId: m.id, webhookId: m.webhook_id, kind: m.kind, to: m.recipients.length }, 'alert mail sent');
      return { id: m.id, status: 'sent', at: Date.now() };
    } catch (e) {
      const err = e as SmtpError;
      const error = `${err.responseCode ?? err.code ?? 'error'}: ${err.message ?? String(e)}`;
      // A 5xx answer is permanent (bad address, refused): trying again would not help.
      const permanent = typeof err.responseCode === 'number' && err.responseCode >= 500;
      const delay = MAIL_RETRY_MS[m.attempts];
      if (permanent || delay === undefined) {
        this.d.log.error({ mailId: m.id, webhookId: m.webhook_id, error }, 'alert mail could not be sent; giving up');
        return { id: m.id, status: 'failed', error };
      }
      const wait = Math.max(MIN_RETRY_MS, delay / this.d.clockScale);
      this.d.log.warn({ mailId: m.id, error, retryInMs: Math.round(wait) }, 'alert mail not sent; will retry');
      return { id: m.id, status: 'pending', error, next_try_at: Date.now() + wait };
    }
  }

  private arm(at: number): void {
    if (this.running) this.timer.arm(at);
  }

  /** Stops the timer, waits for a batch being sent, closes the SMTP connection. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.timer.cancel();
    await this.looks.settled();
    this.transport?.close();
  }
}
