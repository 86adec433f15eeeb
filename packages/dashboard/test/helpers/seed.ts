import type { TestHerald } from '../../../server/test/helpers/herald.js';
import type { TestReceiver } from '../../../server/test/helpers/receiver.js';

/** Fails loudly when a setup call does not answer what it should. */
export async function must<T = any>(h: TestHerald, method: string, path: string, body: unknown, status: number, key?: string): Promise<T> {
  const r = await h.api<T>(method, path, body, key === undefined ? {} : { key });
  if (r.status !== status) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/**
 * A receiver that answers like real endpoints do: /ok accepts (JSON, a little latency),
 * /flaky fails one request in four, /down always answers 503, /slow takes its time.
 */
export function realisticReceiver(rx: TestReceiver): void {
  let n = 0;
  rx.respond(async (req, res) => {
    const path = req.path;
    // The URL check Herald makes when a webhook is saved is not a delivery: answer it.
    if (req.method !== 'POST' || req.headers['herald-url-validation']) {
      res.end('ok');
      return;
    }
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    if (path.startsWith('/slow')) await wait(120 + Math.random() * 180);
    else await wait(5 + Math.random() * 40);
    const fail = path.startsWith('/down') || (path.startsWith('/flaky') && n++ % 4 === 3);
    res.statusCode = fail ? 503 : 200;
    res.setHeader('content-type', 'application/json');
    res.end(fail ? JSON.stringify({ error: 'upstream unavailable' }) : JSON.stringify({ received: true }));
  });
}

export interface Seeded {
  /** Webhook ids by role. */
  crm: any;
  flaky: any;
  down: any;
  blog: any;
  other: any;
}

/** The SalesIQ catalogue and two tenants, acme (apps shop and blog) and globex, with no webhook yet. */
export async function seedOrgs(h: TestHerald): Promise<void> {
  await must(h, 'POST', '/event-types/import', { catalogue: 'salesiq' }, 200);
  await must(h, 'POST', '/orgs', { id: 'acme', name: 'Acme Support', owner_email: 'owner@acme.test' }, 201);
  await must(h, 'POST', '/orgs', { id: 'globex', name: 'Globex', owner_email: 'owner@globex.test' }, 201);
  await must(h, 'POST', '/orgs/acme/apps', { id: 'shop', name: 'Shop' }, 201);
  await must(h, 'POST', '/orgs/acme/apps', { id: 'blog', name: 'Blog' }, 201);
}

/**
 * Two tenants: acme (apps shop and blog, several webhooks) and globex (one webhook), the
 * SalesIQ catalogue, and a first round of events so lists have figures.
 */
export async function seed(h: TestHerald, rx: TestReceiver): Promise<Seeded> {
  await seedOrgs(h);
  const hook = (org: string, body: Record<string, unknown>) => must(h, 'POST', `/orgs/${org}/webhooks`, body, 201);
  const crm = await hook('acme', {
    url: rx.url('/ok/crm'), description: 'CRM sync', events: ['conversation.created', 'conversation.completed', 'conversation.rated'], apps: ['shop'],
  });
  const flaky = await hook('acme', {
    url: rx.url('/flaky/helpdesk'), description: 'Helpdesk tickets for sad ratings', events: ['conversation.rated', 'conversation.missed'], apps: ['shop'],
    preset: 'salesiq', policy: { retry_schedule: ['1m'] },
  });
  const down = await hook('acme', {
    url: rx.url('/down/legacy'), description: 'Legacy ERP bridge', events: ['operator.created', 'operator.updated'], preset: 'dialog-insight',
    policy: { retry_schedule: ['1m'] },
  });
  const blog = await hook('acme', { url: rx.url('/slow/blog'), description: 'Blog comments', events: ['*'], apps: ['blog'] });
  const other = await hook('globex', { url: rx.url('/ok/globex'), events: ['*'] });
  return { crm, flaky, down, blog, other };
}

/** Ingests a mix of events for acme (and one for globex), built from the catalogue's examples. */
export async function traffic(h: TestHerald, rounds: number, opts: { operators?: boolean } = {}): Promise<void> {
  const types = (await must(h, 'GET', '/event-types', undefined, 200)).data as { name: string; example: Record<string, unknown> }[];
  const example = (name: string, patch: Record<string, unknown>) => ({ ...(types.find((t) => t.name === name)?.example ?? {}), ...patch });
  for (let i = 0; i < rounds; i++) {
    const events: { event: string; app_id?: string; entity: Record<string, unknown> }[] = [
      { event: 'conversation.created', app_id: 'shop', entity: example('conversation.created', { id: `1700000000${i}`, question: 'Do you ship to Lyon?' }) },
      { event: 'conversation.rated', app_id: 'shop', entity: example('conversation.rated', { rating: 1 + (i % 5), feedback: 'Thanks' }) },
      { event: 'conversation.missed', app_id: 'shop', entity: example('conversation.missed', { id: `1700000100${i}` }) },
      { event: 'conversation.created', app_id: 'blog', entity: example('conversation.created', { id: `1700000200${i}` }) },
    ];
    // The always-failing ERP bridge takes these: few enough that its preset does not deactivate it.
    if (opts.operators !== false) events.push({ event: 'operator.updated', entity: example('operator.updated', { status: i % 2 ? 'Available' : 'Busy' }) });
    await must(h, 'POST', '/orgs/acme/events/batch', { events }, 202);
  }
  await must(h, 'POST', '/orgs/globex/events', { event: 'operator.created', entity: example('operator.created', {}) }, 202);
}

/**
 * For screenshots: traffic spread over several minutes (HERALD_SCREENSHOTS_MINUTES, default
 * 6), a varying number of events each 20 s, so the per-minute chart has a shape.
 */
export async function spreadTraffic(h: TestHerald): Promise<void> {
  const minutes = Number(process.env.HERALD_SCREENSHOTS_MINUTES ?? 6);
  const until = Date.now() + minutes * 60_000;
  let i = 0;
  while (Date.now() < until) {
    await traffic(h, 1 + ((i * 7) % 5), { operators: i % 4 === 0 });
    i++;
    await new Promise((r) => setTimeout(r, 20_000));
  }
}
