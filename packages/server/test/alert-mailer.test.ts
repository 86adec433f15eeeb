/**
 * The alert mailer's order: one webhook's mails reach its owner in the order they were
 * written, even when they leave in one pass (a real SMTP server in a child process, a real
 * store on both kinds).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AlertMailer } from '../src/alerts/mailer.js';
import { newId } from '../src/ids.js';
import { createLogger } from '../src/ops/logger.js';
import * as q from '../src/store/queries/alerts.js';
import { STORE_KINDS, suiteStore } from './helpers/stores.js';
import { TestSmtpServer } from './helpers/smtp.js';

for (const kind of STORE_KINDS) {
  describe(`alert mailer (${kind})`, () => {
    const store = suiteStore(kind);
    let smtp: TestSmtpServer;
    before(async () => {
      smtp = await TestSmtpServer.start();
    });
    after(async () => {
      await smtp.close();
    });

    test("one webhook's mails leave one after the other, oldest first; other webhooks' beside them", async () => {
      const now = Date.now();
      const webhooks = ['wh_a', 'wh_b', 'wh_c'];
      // Written in the same millisecond, interleaved: ids still sort by creation.
      for (let n = 1; n <= 8; n++) {
        for (const webhook of webhooks) {
          await q.insertMail(store().db, {
            id: newId('mail', now), org_id: 'org', webhook_id: webhook, kind: 'daily_errors',
            recipients: ['owner@example.test'], subject: `${webhook} mail ${n}`, text: `mail ${n}`,
          }, now);
        }
      }
      const mailer = new AlertMailer({
        store: store(), smtpUrl: smtp.url, smtpFrom: 'herald@example.test', clockScale: 1, log: createLogger('silent'), idleCheckMs: 60_000,
      });
      mailer.start();
      try {
        for (const webhook of webhooks) {
          const got = await smtp.waitFor(webhook, 8);
          assert.deepEqual(got.map((m) => m.subject), [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `${webhook} mail ${n}`));
        }
      } finally {
        await mailer.stop();
      }
    });
  });
}
