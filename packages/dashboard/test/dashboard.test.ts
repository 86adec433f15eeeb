import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_KEY, eventually, TestHerald } from '../../server/test/helpers/herald.js';
import { TestReceiver } from '../../server/test/helpers/receiver.js';
import { assertAccessible, assertNoHorizontalOverflow, launch, screenshot, SCREENSHOTS, signIn, WatchedPage } from './helpers/browser.js';
import { must, realisticReceiver, seed, spreadTraffic, traffic, type Seeded } from './helpers/seed.js';

/**
 * The dashboard end to end, as an admin: Chromium signs in with an API key against a real
 * Herald (SQLite) and a real receiver, and does what the screens are for.
 */
describe('dashboard (admin key)', () => {
  let h: TestHerald;
  let rx: TestReceiver;
  let browser: Browser;
  let w: WatchedPage;
  let page: Page;
  let data: Seeded;
  let created: { id: string; url: string };

  const deliveriesOf = async (id: string) => (await must(h, 'GET', `/orgs/acme/webhooks/${id}/deliveries?limit=250`, undefined, 200)).data as any[];
  const posts = () => rx.posts.filter((r) => !r.headers['herald-url-validation']);

  before(async () => {
    rx = await TestReceiver.start();
    realisticReceiver(rx);
    // Retries are minutes long by preset: divided here so failures settle within the test.
    h = await TestHerald.start('sqlite', { clockScale: 600 });
    data = await seed(h, rx);
    if (SCREENSHOTS) {
      // A list like a real one: also a draft and a webhook someone switched off.
      await must(h, 'POST', '/orgs/acme/webhooks', { url: rx.url('/ok/analytics'), description: 'Analytics pipeline', events: ['conversation.completed'], published: false }, 201);
      const off = await must(h, 'POST', '/orgs/acme/webhooks', { url: rx.url('/ok/slack'), description: 'Slack #support alerts', events: ['conversation.missed'], preset: 'smarterbot' }, 201);
      await must(h, 'PATCH', `/orgs/acme/webhooks/${off.id}`, { state: 'disabled' }, 200);
      await spreadTraffic(h);
    } else await traffic(h, 4);
    browser = await launch();
    w = await WatchedPage.open(browser);
    page = w.page;
  });

  after(async () => {
    await w?.close();
    await browser?.close();
    await h?.stop();
    await rx?.close();
  });

  test('sign in with an API key, kept for the tab only, then pick an org', async () => {
    await page.goto(`${h.url}/`);
    await page.getByRole('heading', { name: 'Sign in to Herald' }).waitFor();
    await assertAccessible(page, 'sign-in');
    await page.getByLabel('API key').fill('not-a-key');
    w.allow(/status of 401/);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Herald did not accept that key.' }).waitFor();
    await page.getByLabel('API key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Orgs' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('herald.credential')), ADMIN_KEY);
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing kept beyond the tab');
    await page.getByRole('link', { name: 'Acme Support' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
  });

  test('the webhook list shows each webhook (its URL), events, apps, state, 24 h failures, last triggered and success rate', async () => {
    const seeded = new Set([data.crm.id, data.flaky.id, data.down.id, data.blog.id]);
    await eventually(async () => (await must(h, 'GET', '/orgs/acme/webhooks', undefined, 200)).data.filter((x: any) => seeded.has(x.id)).every((x: any) => x.attempts_24h > 0) || null, 15_000, 100);
    await page.reload();
    const table = page.getByRole('table');
    await table.getByRole('link', { name: data.crm.url }).waitFor();
    for (const col of ['Webhook', 'Events', 'Apps', 'State', 'Failures 24 h', 'Last triggered', 'Success 24 h']) {
      await table.getByRole('columnheader', { name: col }).waitFor();
    }
    const downRow = table.getByRole('row').filter({ has: page.getByRole('link', { name: data.down.url }) });
    assert.match(await downRow.innerText(), /0 %/, 'a webhook that always fails shows 0 % success');
    assert.equal(await table.getByRole('link', { name: data.other.url }).count(), 0, 'another org is not listed');
    await assertAccessible(page, 'webhook list');
    await screenshot(page, 'webhooks');
    await page.setViewportSize({ width: 375, height: 800 });
    await assertNoHorizontalOverflow(page, 'webhook list at 375 px');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test('create a webhook: live URL checks, events from the catalogue, a preset in words', async () => {
    await page.getByRole('link', { name: 'Create webhook' }).click();
    await page.getByRole('heading', { name: 'Create a webhook' }).waitFor();
    const url = page.getByLabel('Endpoint URL');
    await url.fill('ftp://example.com/hook');
    await page.getByText('Only http and https URLs can receive webhooks, not ftp.').waitFor();
    assert.equal(await url.getAttribute('aria-invalid'), 'true');
    await url.fill(rx.url('/ok/new'));
    await page.getByText('Plain http is not encrypted: https is recommended.').waitFor();
    assert.equal(await url.getAttribute('aria-invalid'), null);
    await page.getByRole('textbox', { name: 'Description (optional)' }).fill('Order notifications');
    await page.getByLabel('Filter event types').fill('conversation.c');
    await page.getByRole('checkbox', { name: /^conversation\.created/ }).check();
    await page.getByRole('checkbox', { name: /^conversation\.completed/ }).check();
    await page.getByText('2 chosen: conversation.created, conversation.completed').waitFor();
    await page.getByRole('radio', { name: 'Only these apps' }).check();
    await page.getByRole('checkbox', { name: /^Shop/ }).check();
    await page.getByRole('radio', { name: 'salesiq' }).check();
    await page.getByText('Signed with RSA SHA-256, base64, in x-siqsignature', { exact: false }).waitFor();
    await page.getByText('Retries 3 times after a failure, waiting 1 min, 1 min, 1 min').waitFor();
    await page.getByRole('radio', { name: 'standard' }).check();
    await page.getByText('Advanced policy').click();
    await page.getByRole('textbox', { name: 'Retry schedule' }).fill('5s, soon');
    await page.getByText('Not a duration: soon').waitFor();
    await page.getByRole('textbox', { name: 'Retry schedule' }).fill('5s, 1m');
    await assertAccessible(page, 'create form');
    await screenshot(page, 'webhook-create');
    await page.getByRole('button', { name: 'Save as draft' }).click();

    await page.getByText('Webhook created as a draft.').waitFor();
    await page.getByRole('heading', { name: 'Its first key' }).waitFor();
    const secret = await page.getByLabel('Signing secret').innerText();
    assert.match(secret, /^whsec_/);
    const id = /webhooks\/(wh_[^/?]+)/.exec(page.url())?.[1];
    assert.ok(id, page.url());
    const stored = await must(h, 'GET', `/orgs/acme/webhooks/${id}`, undefined, 200);
    assert.equal(stored.state, 'draft');
    assert.deepEqual(stored.events.sort(), ['conversation.completed', 'conversation.created']);
    assert.deepEqual(stored.apps, ['shop']);
    assert.deepEqual(stored.policy_overrides.retry_schedule, ['5s', '1m']);
    created = { id: id!, url: stored.url };

    await page.getByRole('button', { name: `Publish ${created.url}` }).click();
    await page.getByRole('switch', { name: `Enabled: ${created.url}` }).waitFor();
    assert.equal((await must(h, 'GET', `/orgs/acme/webhooks/${id}`, undefined, 200)).state, 'enabled');
  });

  test('example and test: the test send reaches the receiver and its attempt shows the full exchange', async () => {
    await page.getByRole('navigation', { name: 'Webhook sections' }).getByRole('link', { name: 'Example, test and trial' }).click();
    await page.getByRole('button', { name: 'Example of conversation.created' }).click();
    const example = page.getByLabel('Example payload of conversation.created');
    assert.match(await example.innerText(), /"event": "conversation.created"/);
    const before = posts().length;
    await page.getByRole('button', { name: 'Test conversation.created' }).click();
    await page.getByText('Test sent and logged').waitFor();
    const exchange = page.getByRole('region', { name: 'Test exchange for conversation.created' });
    await exchange.getByText('Succeeded').waitFor();
    assert.equal(posts().length, before + 1);
    const got = posts().at(-1)!;
    assert.equal(JSON.parse(got.body).is_test, true);
    assert.ok(got.headers['webhook-signature'], 'signed');

    await page.getByRole('link', { name: 'view the delivery' }).click();
    await page.getByRole('heading', { name: 'Delivery', level: 1 }).waitFor();
    await page.getByText('Attempt 1').first().waitFor();
    const headers = page.getByRole('table', { name: 'Request headers' });
    await headers.getByRole('rowheader', { name: 'webhook-signature' }).waitFor();
    await page.getByRole('table', { name: 'Response headers' }).getByRole('rowheader', { name: 'content-type' }).waitFor();
    assert.match(await page.getByLabel('Response body').innerText(), /"received": true/);
    assert.match(await page.getByLabel('Request body').innerText(), /"is_test": true/);
    await page.getByText('Status 200', { exact: false }).first().waitFor();
    await assertAccessible(page, 'delivery detail');
  });

  test('resend a failed delivery and see its new attempt', async () => {
    const failed = await eventually(async () => (await deliveriesOf(data.down.id)).find((d) => d.status === 'failed'), 15_000, 100);
    await page.goto(`${h.url}/#/o/acme/deliveries/${failed.id}`);
    await page.getByText('Attempt 2', { exact: false }).first().waitFor();
    await page.getByRole('button', { name: 'Resend' }).click();
    await page.getByText(/Resent: attempt 3 failed/).waitFor({ timeout: 15_000 });
    await page.getByText('HTTP 503', { exact: false }).first().waitFor();
    await screenshot(page, 'delivery');
  });

  test('toggle a webhook off and on from the list', async () => {
    await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
    const toggle = page.getByRole('switch', { name: `Enabled: ${data.crm.url}` });
    assert.equal(await toggle.getAttribute('aria-checked'), 'true');
    await toggle.focus();
    await page.keyboard.press('Space');
    await eventually(async () => (await toggle.getAttribute('aria-checked')) === 'false' || null, 5000, 50);
    assert.equal((await must(h, 'GET', `/orgs/acme/webhooks/${data.crm.id}`, undefined, 200)).state, 'disabled');
    await toggle.click();
    await eventually(async () => (await toggle.getAttribute('aria-checked')) === 'true' || null, 5000, 50);
    assert.equal((await must(h, 'GET', `/orgs/acme/webhooks/${data.crm.id}`, undefined, 200)).state, 'enabled');
  });

  test('the webhook page charts deliveries per minute and latency', async () => {
    await page.getByRole('link', { name: data.flaky.url }).click();
    await page.getByRole('heading', { name: 'Activity' }).waitFor();
    // The totals and the charts each name their span (issue 18: "Last 24 hours" stood above a 15-minute chart).
    await page.getByRole('heading', { name: 'Totals, last 24 hours' }).waitFor();
    const chartWindow = page.getByLabel('Chart window');
    const initial = await chartWindow.locator('option:checked').innerText();
    const span = initial.toLowerCase();
    await page.getByRole('figure', { name: `Deliveries per minute by outcome, ${span}` }).waitFor();
    await page.getByRole('figure', { name: `Latency per minute (p50 and p99, ms), ${span}` }).waitFor();
    await chartWindow.selectOption({ label: 'Last 6 hours' });
    await page.getByRole('figure', { name: 'Deliveries per minute by outcome, last 6 hours' }).waitFor();
    await chartWindow.selectOption({ label: initial });
    await page.locator('.recharts-bar-rectangle').first().waitFor();
    await page.locator('.recharts-line-dot').first().waitFor();
    await assertAccessible(page, 'webhook detail');
    await screenshot(page, 'webhook-detail');
    await page.setViewportSize({ width: 375, height: 800 });
    await assertNoHorizontalOverflow(page, 'webhook detail at 375 px');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test('a trial run shows the whole exchange and writes nothing to the log', async () => {
    const logBefore = (await deliveriesOf(created.id)).length;
    await page.goto(`${h.url}/#/o/acme/webhooks/${created.id}/events`);
    await page.getByRole('button', { name: 'Trial conversation.created' }).click();
    const editor = page.getByLabel('Payload entity (JSON)');
    await editor.fill('{ "id": "trial-1", "question": "Edited in the trial" ');
    await page.getByRole('button', { name: 'Run trial' }).click();
    await page.getByText('The payload is not valid JSON', { exact: false }).waitFor();
    await editor.fill(JSON.stringify({ id: 'trial-1', question: 'Edited in the trial', visitor: { name: 'Tricia', email_id: 'tricia@zylker.com' }, status: 'Live' }, null, 2));
    const before = posts().length;
    await page.getByRole('button', { name: 'Run trial' }).click();
    await page.getByText('Nothing was written to the delivery log.', { exact: false }).waitFor();
    const exchange = page.getByRole('region', { name: 'Trial exchange for conversation.created' });
    await exchange.getByText('HTTP 200', { exact: false }).first().waitFor();
    assert.match(await exchange.getByLabel('Request body').innerText(), /Edited in the trial/);
    assert.equal(posts().length, before + 1);
    assert.match(posts().at(-1)!.body, /Edited in the trial/);
    assert.equal((await deliveriesOf(created.id)).length, logBefore, 'the log did not grow');
    await assertAccessible(page, 'trial result');
    await screenshot(page, 'trial', page.getByRole('heading', { name: 'Example, test and trial', level: 2 }));

    await page.getByRole('navigation', { name: 'Webhook sections' }).getByRole('link', { name: 'Deliveries' }).click();
    await page.getByText(`${logBefore} deliver`, { exact: false }).first().waitFor();
  });

  test('keys: In use label, generate (secret once, copy), the last key cannot be deleted', async () => {
    await page.goto(`${h.url}/#/o/acme/webhooks/${created.id}/keys`);
    await page.getByRole('heading', { name: 'Signing keys' }).waitFor();
    await page.getByText('In use').first().waitFor();
    const del = page.getByRole('button', { name: /^Delete key/ });
    assert.equal(await del.count(), 1);
    assert.equal(await del.getAttribute('aria-disabled'), 'true');
    await page.getByText('The last key cannot be deleted: generate a new key first.').waitFor();

    await page.getByRole('button', { name: 'Generate key' }).click();
    const fresh = page.getByRole('status').filter({ hasText: 'New key' });
    await fresh.getByText('Herald shows it only once').waitFor();
    assert.match(await fresh.getByLabel('Signing secret').innerText(), /^whsec_/);
    await fresh.getByRole('button', { name: 'Copy signing secret' }).click();
    await fresh.getByText(/^Copied$|Copy failed/).waitFor();
    await eventually(async () => (await page.getByRole('button', { name: /^Delete key/ }).count()) === 2 || null, 5000, 50);
    assert.equal(await page.getByRole('button', { name: 'Generate key' }).getAttribute('aria-disabled'), 'true');
    await page.getByText('A webhook holds at most 2 keys: delete one first.').waitFor();
    await assertAccessible(page, 'keys');

    const keys = (await must(h, 'GET', `/orgs/acme/webhooks/${created.id}/keys`, undefined, 200)).data;
    await page.getByRole('button', { name: `Delete key ${keys[0].id}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this key?' });
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel', 'focus starts inside the dialog');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.match(await page.evaluate(() => document.activeElement?.textContent ?? ''), /^Delete key/, 'focus returns to the opener');
    await page.getByRole('button', { name: `Delete key ${keys[0].id}` }).click();
    await dialog.getByRole('button', { name: 'Delete key' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await eventually(async () => (await page.getByRole('button', { name: /^Delete key/ }).count()) === 1 || null, 5000, 50);
    const left = (await must(h, 'GET', `/orgs/acme/webhooks/${created.id}/keys`, undefined, 200)).data;
    assert.deepEqual(left.map((k: any) => k.id), [keys[1].id]);
  });

  test('an RSA webhook shows its public key as PEM and as XML', async () => {
    await page.goto(`${h.url}/#/o/acme/webhooks/${data.down.id}/keys`);
    assert.match(await page.getByLabel('Public key PEM').first().innerText(), /BEGIN PUBLIC KEY/);
    assert.match(await page.getByLabel('Public key XML').first().innerText(), /<RSAKeyValue>/);
    await screenshot(page, 'keys');
  });

  test('the delivery log filters by status, event and time; recover answers counts', async () => {
    await page.goto(`${h.url}/#/o/acme/deliveries`);
    await page.getByRole('heading', { name: 'Deliveries', level: 1 }).waitFor();
    await page.getByLabel('Status').selectOption('failed');
    await eventually(async () => /[?&]status=failed/.test(page.url()) || null, 5000, 50);
    const failedRows = page.getByRole('table').getByRole('row').filter({ hasText: 'Failed' });
    await failedRows.first().waitFor();
    assert.equal(await page.getByRole('table').getByText('Succeeded', { exact: true }).count(), 0);
    await page.getByLabel('Event type').selectOption('operator.updated');
    await eventually(async () => /event_type=operator.updated/.test(page.url()) || null, 5000, 50);
    await page.getByLabel('From').fill('2099-01-01T00:00');
    await page.getByText('No delivery matches.').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByRole('table').waitFor();
    await assertAccessible(page, 'delivery log');

    // A type no catalogue holds (ingest accepts it) is offered once it was delivered (issue 18:
    // the filter offered catalogue types only). Globex's only webhook takes every event.
    await must(h, 'POST', '/orgs/globex/events', { event: 'invoice.settled', entity: { id: 'inv-1' } }, 202);
    await page.goto(`${h.url}/#/o/globex/deliveries`);
    const invoice = page.getByLabel('Event type').locator('option[value="invoice.settled"]');
    await eventually(async () => (await invoice.count()) > 0 || null, 10_000, 100);
    await page.getByLabel('Event type').selectOption('invoice.settled');
    await eventually(async () => /event_type=invoice.settled/.test(page.url()) || null, 5000, 50);
    await page.getByRole('table').getByText('invoice.settled').first().waitFor();
    assert.equal(await page.getByRole('table').getByText('operator.created').count(), 0, 'the filter applies');

    await page.goto(`${h.url}/#/o/acme/webhooks/${data.down.id}/deliveries`);
    const failedBefore = (await deliveriesOf(data.down.id)).filter((d) => d.status === 'failed').length;
    assert.ok(failedBefore > 0);
    await page.getByRole('button', { name: 'Recover' }).click();
    await page.getByText(/Re-queued \d+ deliver/).waitFor({ timeout: 15_000 });
    const text = await page.getByText(/Re-queued \d+ deliver/).innerText();
    assert.ok(Number(/Re-queued (\d+)/.exec(text)?.[1]) >= failedBefore, text);
  });

  test('edit a webhook: the form opens with its settings and saves changes', async () => {
    await page.goto(`${h.url}/#/o/acme/webhooks/${created.id}/edit`);
    const description = page.getByRole('textbox', { name: 'Description (optional)' });
    assert.equal(await description.inputValue(), 'Order notifications');
    assert.equal(await page.getByRole('textbox', { name: 'Retry schedule' }).inputValue(), '5s, 1m');
    await description.fill('Order notifications (v2)');
    await page.getByRole('textbox', { name: 'Timeout (seconds)' }).fill('7.5');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Changes saved.').waitFor();
    await page.getByText('Waits 7.5 s for an answer').waitFor();
    const stored = await must(h, 'GET', `/orgs/acme/webhooks/${created.id}`, undefined, 200);
    assert.equal(stored.description, 'Order notifications (v2)');
    assert.equal(stored.policy_overrides.timeout_ms, 7500);
  });

  test('editing keeps policy fields: pace and order are shown, and overrides the form does not show survive a save', async () => {
    // Set by API: a FIFO order, a rate limit, and a jitter, which the form has no field for.
    await must(h, 'PATCH', `/orgs/acme/webhooks/${created.id}`, { policy: { timeout_ms: 7500, retry_schedule: ['5s', '1m'], retry_jitter: 0.1, rate_limit: 20, ordering: 'fifo' } }, 200);
    await page.goto(`${h.url}/#/o/acme/webhooks/${created.id}/edit`);
    await page.reload(); // the page read the webhook before the API change above
    await page.getByRole('textbox', { name: 'Rate limit (requests per second)' }).waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Rate limit (requests per second)' }).inputValue(), '20');
    assert.equal(await page.getByRole('combobox', { name: 'Order' }).inputValue(), 'fifo');
    await page.getByRole('textbox', { name: 'Most requests at once' }).fill('0');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('A whole number from 1 to 10,000.').waitFor();
    await page.getByRole('textbox', { name: 'Most requests at once' }).fill('4');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Changes saved.').waitFor();
    const stored = await must(h, 'GET', `/orgs/acme/webhooks/${created.id}`, undefined, 200);
    assert.deepEqual(
      [stored.policy_overrides.ordering, stored.policy_overrides.rate_limit, stored.policy_overrides.max_in_flight, stored.policy_overrides.retry_jitter],
      ['fifo', 20, 4, 0.1],
    );
  });

  test('editing sends If-Match: a change saved elsewhere meanwhile is not overwritten, and the form says so', async () => {
    await page.goto(`${h.url}/#/o/acme/webhooks/${created.id}/edit`);
    await page.reload(); // a fresh read, with its ETag
    const description = page.getByRole('textbox', { name: 'Description (optional)' });
    await description.waitFor();
    await must(h, 'PATCH', `/orgs/acme/webhooks/${created.id}`, { description: 'Changed elsewhere' }, 200);
    await description.fill('Mine');
    // The 412 is the point of this test; the browser logs every answer >= 400.
    w.allow(/status of 412/);
    const sent = page.waitForRequest((r) => r.method() === 'PATCH' && r.url().includes(`/webhooks/${created.id}`));
    await page.getByRole('button', { name: 'Save changes' }).click();
    assert.match((await sent).headers()['if-match'] ?? '', /^"[A-Za-z0-9_-]+"$/);
    await page.getByText(/Someone changed this since you opened it/).waitFor();
    assert.equal((await must(h, 'GET', `/orgs/acme/webhooks/${created.id}`, undefined, 200)).description, 'Changed elsewhere');
    // Read again, the same edit goes through.
    await page.reload();
    await description.fill('Mine');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Changes saved.').waitFor();
    assert.equal((await must(h, 'GET', `/orgs/acme/webhooks/${created.id}`, undefined, 200)).description, 'Mine');
  });

  test('a webhook page names its destination; a broker webhook opens in the settings form', async () => {
    await page.goto(`${h.url}/#/o/acme/webhooks/${created.id}`);
    await page.getByText('HTTP POST to its URL').waitFor();
    const broker = await must(h, 'POST', '/orgs/acme/webhooks', {
      events: ['conversation.created'], published: false, description: 'Event bus',
      destination: { kind: 'redis-stream', url: 'redis://127.0.0.1:6379/0', stream: 'herald-dashboard:{event_type}' },
    }, 201);
    await page.goto(`${h.url}/#/o/acme/webhooks/${broker.id}`);
    await page.getByText('Redis stream herald-dashboard:{event_type}').waitFor();
    await page.getByRole('navigation', { name: 'Webhook sections' }).getByRole('link', { name: 'Settings' }).click();
    assert.equal(await page.getByRole('radio', { name: 'Redis stream' }).isChecked(), true);
    assert.equal(await page.getByRole('textbox', { name: 'Stream key' }).inputValue(), 'herald-dashboard:{event_type}');
    await must(h, 'DELETE', `/orgs/acme/webhooks/${broker.id}`, undefined, 204);
  });

  test('an org-limited read-only key lands in its org and sees no write button', async () => {
    const key = await must(h, 'POST', '/api-keys', { name: 'viewer', scopes: ['orgs:read', 'webhooks:read', 'keys:read', 'deliveries:read', 'event_types:read'], org_id: 'acme' }, 201);
    const viewer = await WatchedPage.open(browser);
    try {
      await signIn(viewer.page, h.url, key.key);
      await viewer.page.getByRole('link', { name: data.crm.url }).waitFor();
      const nav = viewer.page.getByRole('navigation', { name: 'Main' });
      assert.equal(await nav.getByRole('link', { name: 'Orgs' }).count(), 0);
      assert.equal(await nav.getByRole('link', { name: 'API keys' }).count(), 0);
      assert.equal(await viewer.page.getByRole('link', { name: 'Create webhook' }).count(), 0);
      assert.equal(await viewer.page.getByRole('switch').count(), 0);
      viewer.assertClean();
    } finally {
      await viewer.close();
    }
  });

  test('delete a webhook after confirming', async () => {
    await page.goto(`${h.url}/#/o/acme/webhooks`);
    await page.getByRole('button', { name: `Delete ${created.url}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this webhook?' });
    await dialog.getByRole('button', { name: 'Delete webhook' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('link', { name: created.url }).waitFor({ state: 'detached' });
    assert.equal((await h.api('GET', `/orgs/acme/webhooks/${created.id}`)).status, 404);
  });

  test('a portal link made here opens the portal', async () => {
    await page.getByRole('link', { name: 'Portal links' }).click();
    await page.getByLabel('Limit to app').selectOption('shop');
    await page.getByRole('button', { name: 'Create link' }).click();
    const made = page.getByRole('status').filter({ hasText: 'Link ready' });
    const url = await made.locator('code').innerText();
    assert.match(url, /#\/portal\?token=hpt_/);
    await assertAccessible(page, 'portal links');
  });

  test('no console errors', () => {
    w.assertClean();
  });
});
