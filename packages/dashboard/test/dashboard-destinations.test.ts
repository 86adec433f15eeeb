import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verify } from '@herald/receiver';
import type { Browser, Page } from 'playwright-core';
import { amqpConsumer, redisConsumer, type BrokerConsumer } from '../../server/test/helpers/broker-consumers.js';
import { ADMIN_KEY, TestHerald } from '../../server/test/helpers/herald.js';
import { TestReceiver } from '../../server/test/helpers/receiver.js';
import { assertAccessible, assertNoHorizontalOverflow, launch, screenshot, signIn, WatchedPage } from './helpers/browser.js';
import { must, seedOrgs } from './helpers/seed.js';

/**
 * The webhook form with every destination kind (docs/destinations.md): a RabbitMQ webhook made,
 * tested against the real broker, edited (credentials asked again) and turned back into an
 * HTTP one; a NATS webhook refused by the server at its field, then saved; a Redis stream one;
 * a poll webhook and what its consumer needs, used as the consumer would.
 */
describe('dashboard: broker and poll destinations in the webhook form', () => {
  let h: TestHerald;
  let rx: TestReceiver;
  let rabbit: BrokerConsumer;
  let exchange: string;
  let browser: Browser;
  let w: WatchedPage;
  let page: Page;
  let amqpId: string;
  let pollId: string;
  let redisId: string;

  const webhook = (id: string) => must(h, 'GET', `/orgs/acme/webhooks/${id}`, undefined, 200);
  const openedId = () => {
    const id = /webhooks\/(wh_[^/?]+)/.exec(page.url())?.[1];
    assert.ok(id, page.url());
    return id;
  };
  const newWebhook = async (kind: string, event = 'conversation.created') => {
    await page.goto(`${h.url}/#/o/acme/webhooks/new`);
    await page.getByRole('heading', { name: 'Create a webhook' }).waitFor();
    await page.getByRole('radio', { name: kind }).check();
    await page.getByLabel('Filter event types').fill(event);
    await page.getByRole('checkbox', { name: new RegExp(`^${event.replace('.', '\\.')}`) }).check();
  };
  const settings = async (id: string) => {
    await page.goto(`${h.url}/#/o/acme/webhooks/${id}/edit`);
    await page.reload(); // read afresh: the tests change webhooks through the API too
    await page.getByRole('button', { name: 'Save changes' }).waitFor();
  };
  const save = async () => {
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Changes saved.').waitFor();
  };

  before(async () => {
    rx = await TestReceiver.start();
    h = await TestHerald.start('sqlite');
    await seedOrgs(h);
    rabbit = await amqpConsumer();
    exchange = (rabbit.input(5672) as { exchange: string }).exchange;
    browser = await launch();
    w = await WatchedPage.open(browser);
    page = w.page;
    await signIn(page, h.url, ADMIN_KEY);
    await page.getByRole('heading', { name: 'Orgs' }).waitFor();
  });

  after(async () => {
    await w?.close();
    await browser?.close();
    await rabbit?.close();
    await h?.stop();
    await rx?.close();
  });

  test('create a RabbitMQ webhook: settings saved, the password sealed, and a test send reaches the broker', async () => {
    await newWebhook('RabbitMQ (AMQP)');
    assert.equal(await page.getByRole('textbox', { name: 'Endpoint URL' }).count(), 0, 'no endpoint for a broker');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const url = page.getByRole('textbox', { name: 'Broker URL' });
    await page.getByText('Enter the address, such as amqp://host:port.').waitFor();
    assert.equal(await url.getAttribute('aria-invalid'), 'true');
    await url.fill('amqp://guest@127.0.0.1:5672/%2F');
    await page.getByLabel('Password', { exact: true }).fill('guest');
    await page.getByRole('textbox', { name: 'Exchange' }).fill(exchange);
    assert.equal(await page.getByRole('textbox', { name: 'Routing key' }).inputValue(), 'herald.{event_type}');
    await assertAccessible(page, 'create form, RabbitMQ');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await screenshot(page, 'webhook-destination', page.getByRole('group', { name: 'Destination' }));
    await page.getByRole('button', { name: 'Create webhook' }).click();

    await page.getByText('Webhook created and published.').waitFor();
    amqpId = openedId();
    const stored = await webhook(amqpId);
    assert.deepEqual(stored.destination, {
      kind: 'amqp', url: 'amqp://guest@127.0.0.1:5672/%2F', exchange, routing_key: 'herald.{event_type}', persistent: true, mandatory: true, secrets_set: ['password'],
    });
    assert.equal(stored.url, 'amqp://guest@127.0.0.1:5672/%2F', 'the address without its password');
    // Named by its broker and what it publishes to there: several webhooks may share a broker.
    await page.getByRole('heading', { name: `amqp://guest@127.0.0.1:5672/%2F · ${exchange} · herald.{event_type}`, level: 1 }).waitFor();
    await page.getByText(`RabbitMQ (AMQP) exchange "${exchange}", routing key herald.{event_type}`).waitFor();
    await page.getByText('password set (never shown)', { exact: false }).waitFor();

    // The sealed password is the one typed: the broker takes the test message.
    await page.getByRole('navigation', { name: 'Webhook sections' }).getByRole('link', { name: 'Example, test and trial' }).click();
    await page.getByRole('button', { name: 'Test conversation.created' }).click();
    await page.getByRole('region', { name: 'Test exchange for conversation.created' }).getByText('Succeeded').waitFor();
    const [got] = await rabbit.read(1);
    assert.equal(got?.name, 'herald.conversation.created');
    assert.equal(JSON.parse(got!.body).is_test, true);
  });

  test('edit it: untouched, the destination is kept; changed, the password is asked for again', async () => {
    await settings(amqpId);
    assert.equal(await page.getByRole('radio', { name: 'RabbitMQ (AMQP)' }).isChecked(), true);
    assert.equal(await page.getByRole('textbox', { name: 'Broker URL' }).inputValue(), 'amqp://guest@127.0.0.1:5672/%2F');
    assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '');
    await page.getByText('One is set; Herald never shows it.', { exact: false }).waitFor();

    await page.getByRole('textbox', { name: 'Description (optional)' }).fill('Event bus');
    const sent = page.waitForRequest((r) => r.method() === 'PATCH' && r.url().includes(`/webhooks/${amqpId}`));
    await save();
    const body = (await sent).postDataJSON() as Record<string, unknown>;
    assert.equal('destination' in body || 'url' in body, false, `an untouched destination is not sent: ${JSON.stringify(body)}`);
    assert.deepEqual((await webhook(amqpId)).destination.secrets_set, ['password']);

    await settings(amqpId);
    const key = page.getByRole('textbox', { name: 'Routing key' });
    await key.fill('herald.v2.{event_type}');
    await page.getByText('Saving replaces the whole destination, credentials included: enter them again.').waitFor();
    await page.getByRole('button', { name: 'Keep the current destination' }).click();
    assert.equal(await key.inputValue(), 'herald.{event_type}');
    assert.equal(await page.getByText('Saving replaces the whole destination', { exact: false }).count(), 0);

    await key.fill('herald.v2.{event_type}');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Enter it again: saving changed settings replaces the whole destination, credentials included.').waitFor();
    assert.equal(await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid'), 'true');
    await assertAccessible(page, 'settings form, credentials asked again');
    await page.getByLabel('Password', { exact: true }).fill('guest');
    await save();
    const changed = await webhook(amqpId);
    assert.equal(changed.destination.routing_key, 'herald.v2.{event_type}');
    assert.deepEqual(changed.destination.secrets_set, ['password']);
    const test = await must(h, 'POST', `/orgs/acme/webhooks/${amqpId}/test`, { event: 'conversation.created' }, 200);
    assert.equal(test.succeeded, true, JSON.stringify(test));
    assert.equal((await rabbit.read(1))[0]?.name, 'herald.v2.conversation.created');
  });

  test('a setting the server refuses (422) is shown at its field, and nothing changes', async () => {
    await settings(amqpId);
    const key = page.getByRole('textbox', { name: 'Routing key' });
    await key.fill('herald.{evnt_type}');
    await page.getByLabel('Password', { exact: true }).fill('guest');
    w.allow(/status of 422/);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('alert').filter({ hasText: 'Herald refused the destination settings' }).waitFor();
    await page.getByText('May only use the placeholder {event_type}').waitFor();
    assert.equal(await key.getAttribute('aria-invalid'), 'true');
    const described = (await key.getAttribute('aria-describedby')) ?? '';
    const said = await page.evaluate((ids) => ids.split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' '), described);
    assert.match(said, /May only use the placeholder \{event_type\}/, 'the problem is tied to its field');
    assert.equal((await webhook(amqpId)).destination.routing_key, 'herald.v2.{event_type}');
    await key.fill('herald.{event_type}');
    assert.equal(await key.getAttribute('aria-invalid'), null, 'the refusal goes once the field changes');
  });

  test('a NATS webhook: the server refuses a wildcard subject at its field; user and password are saved', async () => {
    await newWebhook('NATS JetStream');
    await page.getByRole('textbox', { name: 'Servers' }).fill('nats://127.0.0.1:4222\nnats://localhost:4222');
    await page.getByRole('textbox', { name: 'Subject' }).fill('herald.*');
    await page.getByRole('radio', { name: 'User and password' }).check();
    await page.getByRole('textbox', { name: 'User' }).fill('herald');
    await page.getByLabel('Password', { exact: true }).fill('s3cret');
    await page.setViewportSize({ width: 375, height: 800 });
    await assertNoHorizontalOverflow(page, 'create form, NATS, at 375 px');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.getByText('Contains a wildcard (* or >)').waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Subject' }).getAttribute('aria-invalid'), 'true');
    await page.getByRole('textbox', { name: 'Subject' }).fill('herald.{event_type}');
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.getByText('Webhook created as a draft.').waitFor();
    const stored = await webhook(openedId());
    assert.deepEqual(stored.destination, {
      kind: 'nats', servers: ['nats://127.0.0.1:4222', 'nats://localhost:4222'], subject: 'herald.{event_type}', user: 'herald', secrets_set: ['password'],
    });
  });

  test('a Redis stream webhook: the password typed apart is sealed, the maximum length checked', async () => {
    await newWebhook('Redis stream');
    await page.getByRole('textbox', { name: 'Redis URL' }).fill('redis://herald@127.0.0.1:6379/2');
    await page.getByLabel('Password', { exact: true }).fill('p@ss:w%rd');
    await page.getByRole('textbox', { name: 'Max length (optional)' }).fill('1e6');
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.getByText('A whole number from 1 to 1,000,000,000, or empty.').waitFor();
    await page.getByRole('textbox', { name: 'Max length (optional)' }).fill('1000000');
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.getByText('Webhook created as a draft.').waitFor();
    redisId = openedId();
    const stored = await webhook(redisId);
    assert.deepEqual(stored.destination, {
      kind: 'redis-stream', url: 'redis://herald@127.0.0.1:6379/2', stream: 'herald:{event_type}', maxlen: 1_000_000, secrets_set: ['password'],
    });
  });

  test('switch the RabbitMQ webhook back to HTTP: its URL is asked for and the credentials go', async () => {
    await settings(amqpId);
    await page.getByRole('radio', { name: 'HTTP POST to a URL' }).check();
    await page.getByText('Saving turns this webhook into an HTTP webhook and deletes its stored credentials.').waitFor();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Enter the URL that will receive the webhooks.').waitFor();
    await page.getByRole('textbox', { name: 'Endpoint URL' }).fill(rx.url('/back'));
    await save();
    const stored = await webhook(amqpId);
    assert.deepEqual(stored.destination, { kind: 'http' });
    assert.equal(stored.url, rx.url('/back'));
    await page.getByText('HTTP POST to its URL').waitFor();
  });

  test('create a poll webhook: its page shows the addresses and makes its consumer a key, which polls', async () => {
    await newWebhook('Poll: its consumer fetches deliveries');
    await page.getByText('Herald pushes nothing', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.getByText('Webhook created and published.').waitFor();
    const id = openedId();
    pollId = id;
    assert.deepEqual((await webhook(id)).destination, { kind: 'poll', secrets_set: [] });
    // Its url is poll: like every poll webhook's: without a description it is named by its id.
    await page.getByRole('heading', { name: `Poll · ${id}`, level: 1 }).waitFor();
    assert.equal(await page.title(), `Overview · Poll · ${id} · Herald`);
    const card = page.getByRole('region', { name: 'How its consumer fetches deliveries' });
    await card.getByText(`GET ${h.url}/api/v1/orgs/acme/webhooks/${id}/poll?limit=10&wait=25&visibility=60`).waitFor();
    await card.getByText(`POST ${h.url}/api/v1/orgs/acme/webhooks/${id}/poll/ack`).waitFor();
    const secret = await page.getByLabel('Signing secret').innerText();
    await assertAccessible(page, 'poll webhook overview');

    await card.getByRole('button', { name: 'Create a key for its consumer' }).click();
    const key = await card.getByLabel('Consumer API key').innerText();
    assert.match(await card.getByLabel('herald listen command').innerText(), new RegExp(`HERALD_API_KEY=${key} herald listen --url ${h.url} --org acme --webhook ${id}`));
    const made = (await must(h, 'GET', '/api-keys', undefined, 200)).data.find((k: any) => k.name === `Poll consumer of ${id}`);
    assert.deepEqual([made.org_id, [...made.scopes].sort()], ['acme', ['deliveries:write', 'webhooks:read']]);
    await screenshot(page, 'webhook-poll', card);

    // The consumer's side: a test send waits in the queue, the key leases it, the one-time secret verifies it.
    await must(h, 'POST', `/orgs/acme/webhooks/${id}/test`, { event: 'conversation.created' }, 200);
    const polled = await h.api('GET', `/orgs/acme/webhooks/${id}/poll?limit=10`, undefined, { key });
    assert.equal(polled.status, 200, JSON.stringify(polled.body));
    assert.equal(polled.body.data.length, 1);
    const item = polled.body.data[0];
    const payload = (await verify({ headers: item.headers, body: item.body }, { scheme: 'standard', secret })) as { is_test: boolean };
    assert.equal(payload.is_test, true);
    await card.getByRole('button', { name: 'Done, hide it' }).click();
    assert.equal(await card.getByLabel('Consumer API key').count(), 0);

    // A trial needs an endpoint that answers at once (409 HERALD_WEBHOOK_IS_POLL): not offered.
    await page.getByRole('navigation', { name: 'Webhook sections' }).getByRole('link', { name: 'Example, test and trial' }).click();
    await page.getByRole('button', { name: 'Test conversation.created' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Trial conversation.created' }).count(), 0);

    // A test is only queued: the panel says so and names the delivery; no exchange, no success.
    await page.getByRole('button', { name: 'Test conversation.created' }).click();
    const queued = page.getByRole('status').filter({ hasText: "Queued for this webhook's consumer" });
    await queued.waitFor();
    const said = await queued.innerText();
    assert.match(said, /nothing was sent now/);
    assert.match(said, new RegExp(`GET …/webhooks/${id}/poll, or herald listen`));
    const queuedId = await queued.locator('code').first().innerText();
    assert.match(queuedId, /^msg_/);
    assert.equal(await page.getByText('Succeeded', { exact: true }).count(), 0, 'no success is claimed');
    assert.equal(await page.getByRole('region', { name: 'Test exchange for conversation.created' }).count(), 0, 'no exchange: nothing went out');
    await assertAccessible(page, 'poll webhook, queued test');
    const waiting = await must(h, 'GET', `/orgs/acme/deliveries/${queuedId}`, undefined, 200);
    assert.deepEqual([waiting.status, waiting.attempts, waiting.is_test], ['pending', 0, true]);
    const leased = await h.api('GET', `/orgs/acme/webhooks/${id}/poll?limit=10`, undefined, { key });
    assert.deepEqual(leased.body.data.map((d: { delivery_id: string }) => d.delivery_id), [queuedId], 'the consumer gets the queued test');
    await queued.getByRole('link', { name: 'View the delivery' }).click();
    await page.getByRole('heading', { name: 'Delivery', level: 1 }).waitFor();
    await page.getByText(queuedId, { exact: true }).waitFor();
  });

  test('webhooks are told apart: poll by description or id, brokers by address and target, in the list, titles, logs and labels', async () => {
    const described = await must(h, 'POST', '/orgs/acme/webhooks', { destination: { kind: 'poll' }, events: ['conversation.created'], description: 'Laptop consumer' }, 201);
    await page.goto(`${h.url}/#/o/acme/webhooks`);
    const table = page.getByRole('table');
    await table.getByRole('columnheader', { name: 'Webhook' }).waitFor();
    const bare = table.getByRole('link', { name: `Poll · ${pollId}`, exact: true });
    await bare.waitFor();
    await table.getByRole('link', { name: 'Laptop consumer', exact: true }).waitFor();
    await table.getByRole('link', { name: 'redis://herald@127.0.0.1:6379/2 · herald:{event_type}', exact: true }).waitFor();
    await table.getByRole('link', { name: 'nats://127.0.0.1:4222 · herald.{event_type}', exact: true }).waitFor();
    assert.equal(await table.getByRole('link', { name: 'poll:', exact: true }).count(), 0, 'no webhook is named by its url poll:');
    const row = table.getByRole('row').filter({ has: page.getByRole('link', { name: 'Laptop consumer' }) });
    assert.equal(await row.getByRole('cell').first().innerText(), 'Laptop consumer', 'a description that is the name is not repeated under it');
    await table.getByRole('switch', { name: `Enabled: Poll · ${pollId}` }).waitFor();
    await table.getByRole('button', { name: 'Delete Laptop consumer' }).waitFor();
    await assertAccessible(page, 'webhook list with poll and broker webhooks');
    await page.setViewportSize({ width: 375, height: 800 });
    await assertNoHorizontalOverflow(page, 'webhook list with broker addresses at 375 px');
    await page.setViewportSize({ width: 1280, height: 800 });

    // A described poll webhook is titled by its description, shown once.
    await page.goto(`${h.url}/#/o/acme/webhooks/${described.id}`);
    await page.getByRole('heading', { name: 'Laptop consumer', level: 1 }).waitFor();
    assert.equal(await page.getByText('Laptop consumer', { exact: true }).filter({ visible: true }).count(), 1, 'shown once: the title');
    // Words in the text font; an address (below) in the monospace one.
    const titleFont = () => page.getByRole('heading', { level: 1 }).evaluate((el) => getComputedStyle(el).fontFamily);
    const wordsFont = await titleFont();
    assert.ok(!/monospace/i.test(wordsFont), `a description title in ${wordsFont}`);
    await page.goto(`${h.url}/#/o/acme/webhooks/${redisId}`);
    await page.getByRole('heading', { name: 'redis://herald@127.0.0.1:6379/2 · herald:{event_type}', level: 1 }).waitFor();
    assert.match(await titleFont(), /monospace/i, 'an address title in the monospace font');

    // The org's log and a delivery's page name the poll webhook of the queued test.
    await page.goto(`${h.url}/#/o/acme/deliveries`);
    await page.getByRole('table').getByRole('link', { name: `Poll · ${pollId}`, exact: true }).first().waitFor();
    const delivery = (await must(h, 'GET', `/orgs/acme/webhooks/${pollId}/deliveries`, undefined, 200)).data[0];
    await page.goto(`${h.url}/#/o/acme/deliveries/${delivery.id}`);
    await page.getByRole('region', { name: 'Summary' }).getByRole('link', { name: `Poll · ${pollId}`, exact: true }).waitFor();
  });

  test('AMQP and Redis: "No password" removes the password that is set, and the broker is reached without one', async () => {
    const none = page.getByRole('checkbox', { name: 'No password: remove the one that is set' });
    const redis = await redisConsumer();
    try {
      const target = redis.input(6379) as { url: string; stream: string };
      await settings(redisId);
      assert.equal(await none.isChecked(), false);
      await page.getByText('enter it again then, or tick No password', { exact: false }).waitFor();
      // Changed settings ask for the password again, or for No password.
      await page.getByRole('textbox', { name: 'Redis URL' }).fill(target.url);
      await page.getByRole('textbox', { name: 'Stream key' }).fill(target.stream);
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByText('Or tick No password to remove it.', { exact: false }).waitFor();
      await none.check();
      assert.equal(await page.getByLabel('Password', { exact: true }).count(), 0, 'no password to type');
      await page.getByText('Saving replaces the whole destination and removes its password.').waitFor();
      assert.equal(await page.getByText('Or tick No password to remove it.', { exact: false }).count(), 0, 'nothing is asked any more');
      await assertAccessible(page, 'settings form, Redis, No password');
      await save();
      const stored = await webhook(redisId);
      assert.deepEqual(stored.destination, { kind: 'redis-stream', url: target.url, stream: target.stream, maxlen: 1_000_000, secrets_set: [] });
      assert.equal(await page.getByText('password set (never shown)', { exact: false }).count(), 0);
      // The engine's new connection has no password: the real Redis takes the test.
      const sent = await must(h, 'POST', `/orgs/acme/webhooks/${redisId}/test`, { event: 'conversation.created' }, 200);
      assert.equal(sent.succeeded, true, JSON.stringify(sent.error));
      assert.equal((await redis.read(1))[0]?.deliveryId, sent.delivery_id);
      // None is set now: nothing to remove, and an empty password means none.
      await settings(redisId);
      assert.equal(await none.count(), 0);
      await page.getByText('Stored sealed and never shown again. Empty: none.').waitFor();
    } finally {
      await redis.close();
    }

    // The same on a RabbitMQ webhook: ticked alone, it is a change that removes the password.
    const rabbitHook = await must(h, 'POST', '/orgs/acme/webhooks', {
      events: ['conversation.created'], published: false, destination: { kind: 'amqp', url: 'amqp://guest:guest@127.0.0.1:5672/%2F', exchange, routing_key: 'herald.{event_type}' },
    }, 201);
    assert.deepEqual(rabbitHook.destination.secrets_set, ['password']);
    await settings(rabbitHook.id);
    await none.check();
    const patch = page.waitForRequest((r) => r.method() === 'PATCH' && r.url().includes(`/webhooks/${rabbitHook.id}`));
    await save();
    assert.equal((await patch).postDataJSON().destination.url, 'amqp://guest@127.0.0.1:5672/%2F', 'sent without a password');
    assert.deepEqual((await webhook(rabbitHook.id)).destination.secrets_set, []);
    await must(h, 'DELETE', `/orgs/acme/webhooks/${rabbitHook.id}`, undefined, 204);
  });

  test('policy fields a destination does not use are hidden, said why, and kept on save', async () => {
    const policy = { timeout_ms: 5000, retry_schedule: ['1m'], success: { status: [200, 202] }, on_410: 'retry', rate_limit: 10 };
    const hook = await must(h, 'POST', '/orgs/acme/webhooks', {
      destination: { kind: 'poll' }, events: ['conversation.created'], description: 'Policy keeper', published: false, policy,
    }, 201);
    await settings(hook.id);
    const form = page.locator('form');
    assert.equal(await form.getByRole('textbox', { name: 'Retry schedule' }).inputValue(), '1m', 'what a poll webhook uses is shown');
    for (const name of ['Timeout (seconds)', 'Success statuses', 'Accepted response bodies', 'Rate limit (requests per second)', 'Most requests at once']) {
      assert.equal(await form.getByRole('textbox', { name }).count(), 0, `${name} is hidden for a poll webhook`);
    }
    assert.equal(await form.getByRole('combobox', { name: 'When the endpoint answers 410 Gone' }).count(), 0);
    const note = form.getByText('A poll webhook has no timeout', { exact: false });
    await note.waitFor();
    assert.match(await note.innerText(), /Kept as set, unused here: timeout: 5; success statuses: 200, 202; 410 behaviour: retry; rate limit: 10\./);
    // The policy in words is a poll webhook's: no endpoint answer, no 410.
    const summary = form.getByRole('group', { name: 'Preset' });
    await summary.getByText('Succeeds when its consumer answers with a 2xx status or no status', { exact: false }).waitFor();
    assert.equal(await summary.getByText('410', { exact: false }).filter({ visible: true }).count(), 0, 'no 410 sentence (the quoted sources may name it)');
    await assertAccessible(page, 'settings form of a poll webhook, advanced policy');

    // Saved, the hidden values go back as they were.
    await page.getByRole('textbox', { name: 'Description (optional)' }).fill('Policy keeper (v2)');
    const sent = page.waitForRequest((r) => r.method() === 'PATCH' && r.url().includes(`/webhooks/${hook.id}`));
    await save();
    assert.deepEqual((await sent).postDataJSON().policy, policy);
    assert.deepEqual((await webhook(hook.id)).policy_overrides, policy);
    await page.getByText('Succeeds when its consumer answers with a 2xx status or no status', { exact: false }).waitFor();
    assert.equal(await page.getByText('Waits 5 s', { exact: false }).count(), 0, 'no timeout in its overview');

    // A broker uses the timeout and the pace, not the success rule or 410; HTTP shows everything again.
    await settings(hook.id);
    await page.getByRole('radio', { name: 'Redis stream' }).check();
    assert.equal(await form.getByRole('textbox', { name: 'Timeout (seconds)' }).inputValue(), '5');
    assert.equal(await form.getByRole('textbox', { name: 'Rate limit (messages per second)' }).inputValue(), '10');
    assert.equal(await form.getByRole('textbox', { name: 'Success statuses' }).count(), 0);
    await form.getByText('a message succeeds when the broker confirms it', { exact: false }).waitFor();
    await summary.getByText('Succeeds when the broker confirms the message').waitFor();
    await page.getByRole('radio', { name: 'HTTP POST to a URL' }).check();
    assert.equal(await form.getByRole('textbox', { name: 'Success statuses' }).inputValue(), '200, 202');
    assert.equal(await form.getByRole('combobox', { name: 'When the endpoint answers 410 Gone' }).inputValue(), 'retry');
    assert.equal(await form.getByText('Kept as set, unused here', { exact: false }).count(), 0);

    // A mistake typed in a field is not hidden by switching away from HTTP: it stays to be corrected.
    await form.getByRole('textbox', { name: 'Success statuses' }).fill('20x');
    await page.getByRole('radio', { name: 'Poll: its consumer fetches deliveries' }).check();
    const wrong = form.getByRole('textbox', { name: 'Success statuses' });
    assert.equal(await wrong.getAttribute('aria-invalid'), 'true');
    await wrong.fill('200, 202');
    assert.equal(await wrong.count(), 0, 'corrected, it is hidden again');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await must(h, 'DELETE', `/orgs/acme/webhooks/${hook.id}`, undefined, 204);
  });

  test('no console errors', () => {
    w.assertClean();
  });
});
