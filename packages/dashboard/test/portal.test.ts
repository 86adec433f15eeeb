import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { TestHerald } from '../../server/test/helpers/herald.js';
import { TestReceiver } from '../../server/test/helpers/receiver.js';
import { assertAccessible, assertNoHorizontalOverflow, launch, screenshot, WatchedPage } from './helpers/browser.js';
import { must, realisticReceiver, seed, traffic, type Seeded } from './helpers/seed.js';

/**
 * The customer portal: a link signed by Herald opens the same app limited to one tenant
 * (and optionally one app), read-only or manage, with no admin screens.
 */
describe('portal links', () => {
  let h: TestHerald;
  let rx: TestReceiver;
  let browser: Browser;
  let data: Seeded;
  const pages: WatchedPage[] = [];

  const open = async (viewport?: { width: number; height: number }) => {
    const w = await WatchedPage.open(browser, viewport);
    pages.push(w);
    return w;
  };
  const link = (body: Record<string, unknown>) => must(h, 'POST', '/orgs/acme/portal-links', body, 201);

  before(async () => {
    rx = await TestReceiver.start();
    realisticReceiver(rx);
    h = await TestHerald.start('sqlite', { clockScale: 600 });
    data = await seed(h, rx);
    await traffic(h, 2);
    browser = await launch();
  });

  after(async () => {
    for (const p of pages) await p.close();
    await browser?.close();
    await h?.stop();
    await rx?.close();
  });

  test('a manage link for one app: the token leaves the address bar, only that tenant and app are shown', async () => {
    const w = await open();
    const { page } = w;
    const l = await link({ app_id: 'shop', user_email: 'dev@shop.test' });
    await page.goto(l.url);
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    assert.ok(!page.url().includes('token'), `token removed from ${page.url()}`);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('herald.credential')), l.token);

    const header = page.getByRole('banner');
    await header.getByText('Webhooks of').waitFor();
    await header.getByText('app shop').waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const admin of ['Orgs', 'API keys', 'Portal links', 'Deliveries']) {
      assert.equal(await nav.getByRole('link', { name: admin }).count(), 0, `${admin} is not offered`);
    }
    const table = page.getByRole('table');
    await table.getByRole('link', { name: data.crm.url }).waitFor();
    await table.getByRole('link', { name: data.flaky.url }).waitFor();
    for (const hidden of [data.blog, data.down, data.other]) {
      assert.equal(await table.getByRole('link', { name: hidden.url }).count(), 0, `${hidden.url} belongs elsewhere`);
    }
    await assertAccessible(page, 'portal list');
    await screenshot(page, 'portal');
    await page.setViewportSize({ width: 375, height: 800 });
    await assertNoHorizontalOverflow(page, 'portal list at 375 px');
    await page.setViewportSize({ width: 1280, height: 800 });

    // A hand-written address to another tenant lands back in this one.
    await page.goto(`${h.url}/#/o/globex/webhooks`);
    await table.getByRole('link', { name: data.crm.url }).waitFor();
    assert.match(page.url(), /#\/o\/acme\/webhooks$/);
    w.assertClean();
  });

  test('in the portal a customer creates a webhook inside their app, runs a trial and reads the log', async () => {
    const w = pages[0]!;
    const { page } = w;
    await page.getByRole('link', { name: 'Create webhook' }).click();
    await page.getByText('Receives the data events of app').waitFor();
    assert.equal(await page.getByRole('radio', { name: 'Only these apps' }).count(), 0, 'no app choice');
    await page.getByLabel('Endpoint URL').fill(rx.url('/ok/portal'));
    await page.getByRole('checkbox', { name: /^conversation\.rated/ }).check();
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.getByText('Webhook created and published.').waitFor();
    const id = /webhooks\/(wh_[^/?]+)/.exec(page.url())?.[1];
    const made = await must(h, 'GET', `/orgs/acme/webhooks/${id}`, undefined, 200);
    assert.deepEqual(made.apps, ['shop']);
    assert.equal(made.created_by, 'portal:dev@shop.test');

    await page.getByRole('navigation', { name: 'Webhook sections' }).getByRole('link', { name: 'Example, test and trial' }).click();
    await page.getByRole('button', { name: 'Trial conversation.rated' }).click();
    await page.getByRole('button', { name: 'Run trial' }).click();
    await page.getByText('Nothing was written to the delivery log.', { exact: false }).waitFor();
    // A manage link may send tests to its own webhooks (they reach only the named webhook).
    await page.getByRole('button', { name: 'Test conversation.rated' }).click();
    await page.getByText('Test sent and logged').waitFor();

    await page.goto(`${h.url}/#/o/acme/webhooks/${data.crm.id}/deliveries`);
    await page.getByRole('table').getByRole('link', { name: /^Details/ }).first().click();
    await page.getByRole('heading', { name: 'Attempts' }).waitFor();
    w.assertClean();
  });

  test('a read-only link shows the whole org and no button that changes anything', async () => {
    const w = await open();
    const { page } = w;
    const l = await link({ access: 'read', ttl_seconds: 600 });
    await page.goto(l.url);
    const table = page.getByRole('table');
    for (const shown of [data.crm, data.flaky, data.down, data.blog]) await table.getByRole('link', { name: shown.url }).waitFor();
    assert.equal(await table.getByRole('link', { name: data.other.url }).count(), 0, 'another org is not shown');
    await page.getByText('Portal (read only)', { exact: false }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Create webhook' }).count(), 0);
    assert.equal(await page.getByRole('switch').count(), 0);
    assert.equal(await page.getByRole('button', { name: /^Delete/ }).count(), 0);
    await page.getByRole('link', { name: data.down.url }).click();
    await page.getByRole('navigation', { name: 'Webhook sections' }).getByRole('link', { name: 'Keys' }).click();
    await page.getByText('In use').first().waitFor();
    assert.equal(await page.getByRole('button', { name: 'Generate key' }).count(), 0);
    assert.equal(await page.getByRole('navigation', { name: 'Webhook sections' }).getByRole('link', { name: 'Settings' }).count(), 0);
    await page.getByRole('navigation', { name: 'Webhook sections' }).getByRole('link', { name: 'Deliveries' }).click();
    await page.getByRole('heading', { name: 'Delivery log' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Recover' }).count(), 0);
    await assertAccessible(page, 'portal read-only delivery log');

    await page.getByRole('button', { name: 'Leave' }).click();
    await page.getByText('You left the portal.').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('herald.credential')), null);
    w.assertClean();
  });

  test('an expired or altered link says so', async () => {
    const w = await open();
    const { page } = w;
    const l = await link({ access: 'read' });
    const [body, mac] = (l.token as string).slice(4).split('.');
    const altered = `hpt_${body}x.${mac}`;
    w.allow(/status of 401/);
    await page.goto(`${h.url}/#/portal?token=${encodeURIComponent(altered)}`);
    await page.getByRole('heading', { name: 'This link has expired; ask for a new one' }).waitFor();
    assert.ok(!page.url().includes('token'));
    assert.equal(await page.evaluate(() => sessionStorage.getItem('herald.credential')), null);
    await assertAccessible(page, 'expired link');
    w.assertClean();
  });
});
