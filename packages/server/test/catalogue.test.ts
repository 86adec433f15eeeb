import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { compileStrict } from '../src/api/validation.js';
import { catalogueProblems, type Catalogue } from '../src/catalogue/load.js';
import { isOperationalEventType } from '../src/catalogue/system.js';
import { ADMIN_KEY, TestHerald, eventually } from './helpers/herald.js';
import { TestReceiver } from './helpers/receiver.js';
import { STORE_KINDS } from './helpers/stores.js';

const readCatalogue = (name: string): Catalogue =>
  JSON.parse(readFileSync(new URL(`../catalogues/${name}.json`, import.meta.url), 'utf8')) as Catalogue;
const salesiq = readCatalogue('salesiq');
const smarterbot = readCatalogue('smarterbot');

const DATA_EVENTS = [
  'conversation.created', 'conversation.attender.updated', 'conversation.missed', 'conversation.completed',
  'conversation.rated', 'conversation.visitor.replied', 'conversation.operator.replied', 'visitor.updated',
];
const ADMIN_EVENTS = [
  'department.created', 'department.updated', 'department.deleted',
  'operator.created', 'operator.updated', 'operator.deleted', 'operator.departments.associated', 'operator.departments.dissociated',
];

/** A port nothing listens on (taken from the OS, then released). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

const BIN = fileURLToPath(new URL('../bin/herald.js', import.meta.url));
const DIST_CLI = new URL('../dist/cli/catalogue.js', import.meta.url);

/** Runs the compiled `herald` command as a child process (asynchronously: Herald answers from this process). */
function herald(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('HERALD_')) base[k] = v;
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('shipped catalogue files', () => {
  test('are valid catalogues; salesiq has the 16 seed-002 events with the right kinds, smarterbot lead and appointment', () => {
    assert.deepEqual(catalogueProblems(salesiq), []);
    assert.deepEqual(catalogueProblems(smarterbot), []);
    assert.equal(salesiq.catalogue, 'salesiq');
    assert.equal(salesiq.event_types.length, 16);
    const kinds = new Map(salesiq.event_types.map((t) => [t.name, t.kind]));
    for (const n of DATA_EVENTS) assert.equal(kinds.get(n), 'data', n);
    for (const n of ADMIN_EVENTS) assert.equal(kinds.get(n), 'admin', n);
    assert.deepEqual(smarterbot.event_types.map((t) => [t.name, t.kind]), [['lead.created', 'admin'], ['appointment.created', 'admin']]);
    for (const t of [...salesiq.event_types, ...smarterbot.event_types]) assert.ok((t.description ?? '').length > 10, `${t.name} has a description`);
  });

  test('every example (and every schema.examples entry) matches its own schema', () => {
    for (const t of [...salesiq.event_types, ...smarterbot.event_types]) {
      assert.ok(t.schema, `${t.name} has a schema`);
      const validate = compileStrict(t.schema);
      const example = t.example === undefined ? null : t.example;
      // Types whose seed shows no payload have no example; *.deleted ones have none by design (null is valid).
      const examples = [...(example === null && !t.name.endsWith('.deleted') ? [] : [example]), ...(((t.schema as { examples?: unknown[] }).examples) ?? [])];
      for (const ex of examples) assert.ok(validate(ex), `${t.name}: ${JSON.stringify(validate.errors)}`);
    }
  });

  test('examples are the seed entities: spot checks, including the repaired ones', () => {
    const ex = (n: string) => salesiq.event_types.find((t) => t.name === n)!.example as Record<string, unknown>;
    assert.equal((ex('conversation.created').visitor as { phone: string }).phone, '1234354');
    // seed 002 closes "visitor" with one brace too many here; the repaired example keeps every field.
    assert.equal(ex('conversation.attender.updated').status, 'Connected');
    assert.deepEqual((ex('conversation.attender.updated').chat_status as { label: string }).label, 'Attended Online');
    assert.equal(ex('conversation.rated').rating, 4);
    assert.equal(ex('department.created').id, '6000000009015');
    assert.equal(ex('operator.updated').zuid, '15102744');
    assert.equal(ex('visitor.updated').type, 'lead ');
    assert.equal(ex('department.deleted'), null);
    assert.equal((smarterbot.event_types[0]!.example as { SessionID: number }).SessionID, 31305);
  });
});

for (const kind of STORE_KINDS) {
  describe(`event catalogue (${kind})`, () => {
    let h: TestHerald;
    let receiver: TestReceiver;
    const countTypes = async () => Number((await h.herald.store.db.get<{ n: number }>('SELECT count(*) AS n FROM event_types'))?.n);

    before(async () => {
      h = await TestHerald.start(kind);
      receiver = await TestReceiver.start();
    });
    after(async () => {
      await receiver.close();
      await h.stop();
    });

    test('import salesiq: 16 types with the right kinds; importing again changes nothing', async () => {
      const r = await h.api('POST', '/event-types/import', { catalogue: 'salesiq' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.catalogue, 'salesiq');
      assert.equal(r.body.created.length, 16);
      assert.deepEqual([r.body.updated, r.body.unchanged, r.body.skipped], [[], [], []]);
      // Herald's own operational event types (webhook.deactivated, delivery.exhausted) are always there.
      const list = ((await h.api('GET', '/event-types')).body.data as { name: string; kind: string; updated_at: string }[])
        .filter((t) => !isOperationalEventType(t.name));
      assert.equal(list.length, 16);
      for (const t of list) assert.equal(t.kind, DATA_EVENTS.includes(t.name) ? 'data' : 'admin', t.name);
      assert.deepEqual(list.map((t) => t.name).sort(), [...DATA_EVENTS, ...ADMIN_EVENTS].sort());

      const again = await h.api('POST', '/event-types/import', { catalogue: 'salesiq' });
      assert.equal(again.status, 200);
      assert.equal(again.body.created.length, 0);
      assert.equal(again.body.unchanged.length, 16);
      const list2 = ((await h.api('GET', '/event-types')).body.data as { name: string; updated_at: string }[])
        .filter((t) => !isOperationalEventType(t.name));
      assert.deepEqual(list2, list, 'a second import rewrites nothing');
      // The stored type is the catalogue's, example included.
      const created = (await h.api('GET', '/event-types/conversation.created')).body;
      const fromFile = salesiq.event_types.find((t) => t.name === 'conversation.created')!;
      assert.deepEqual(created.example, fromFile.example);
      assert.deepEqual(created.schema, fromFile.schema);
      assert.equal(created.description, fromFile.description);
    });

    test('seed-002 examples round-trip: the entity arrives byte for byte inside the envelope', async () => {
      assert.equal((await h.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'owner@acme.test' })).status, 201);
      assert.equal((await h.api('POST', '/orgs/acme/apps', { id: 'embed1', name: 'Website' })).status, 201);
      const names = salesiq.event_types.map((t) => t.name);
      const w = await h.api('POST', '/orgs/acme/webhooks', { url: receiver.url('/siq'), events: names });
      assert.equal(w.status, 201, JSON.stringify(w.body));
      const sent: { name: string; entity: unknown; entityId: string | null }[] = [];
      for (const t of salesiq.event_types) {
        const data = t.kind === 'data';
        let input: Record<string, unknown>;
        if (t.name.endsWith('.deleted')) input = { event: t.name, entity_id: '40526000001808025' };
        else if (t.example === null || t.example === undefined) continue; // the seed shows no payload for it
        else input = { event: t.name, entity: t.example };
        if (data) input.app_id = 'embed1';
        const r = await h.api('POST', '/orgs/acme/events', input);
        assert.equal(r.status, 202, `${t.name}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.deliveries, 1, t.name);
        const id = (t.example as { id?: unknown } | null)?.id;
        sent.push({ name: t.name, entity: t.example ?? null, entityId: typeof id === 'string' ? id : t.name.endsWith('.deleted') ? '40526000001808025' : null });
      }
      assert.equal(sent.length, 14);
      await receiver.waitFor(sent.length);
      const bodies = receiver.posts.filter((p) => p.path === '/siq').map((p) => p.body);
      for (const s of sent) {
        const body = bodies.find((b) => (JSON.parse(b) as { event: string }).event === s.name);
        assert.ok(body, `${s.name} delivered`);
        const env = JSON.parse(body) as Record<string, unknown>;
        assert.equal(env.version, '1');
        assert.equal(env.event, s.name);
        assert.equal(env.org_id, 'acme');
        assert.equal(env.entity_type, s.name.split('.')[0]);
        assert.equal(env.attempt, 1);
        assert.deepEqual(env.modified_fields, []);
        assert.equal(typeof env.event_time, 'number');
        if (DATA_EVENTS.includes(s.name)) assert.equal(env.app_id, 'embed1', s.name);
        else assert.equal('app_id' in env, false, `${s.name} is an admin event`);
        if (s.entityId === null) assert.equal('entity_id' in env, false, s.name);
        else assert.equal(env.entity_id, s.entityId, s.name);
        if (s.entity === null) {
          assert.equal('entity' in env, false, `${s.name} carries no entity`);
        } else {
          const exact = JSON.stringify(s.entity);
          assert.ok(body.includes(`"entity":${exact},`) || body.includes(`"entity":${exact}}`), `${s.name}: entity bytes differ`);
          assert.deepEqual(env.entity, s.entity);
        }
      }
    });

    test('the schema refuses a wrong entity with 400 and the violations listed', async () => {
      const rated = salesiq.event_types.find((t) => t.name === 'conversation.rated')!.example as Record<string, unknown>;
      const bad = await h.api('POST', '/orgs/acme/events', { event: 'conversation.rated', app_id: 'embed1', entity: { ...rated, rating: 'four' } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'HERALD_BAD_REQUEST');
      const paths = (bad.body.error.details.problems as { path: string }[]).map((v) => v.path);
      assert.deepEqual(paths, ['/entity/rating']);
      const missing = await h.api('POST', '/orgs/acme/events', { event: 'conversation.created', app_id: 'embed1', entity: { id: 'c1' } });
      assert.equal(missing.status, 400);
      assert.ok((missing.body.error.details.problems as unknown[]).length >= 5, 'every missing field is listed');
    });

    test('the example envelope of a catalogue type carries the seed entity', async () => {
      const ex = await h.api('GET', '/event-types/operator.created/example');
      assert.equal(ex.status, 200);
      assert.equal(ex.body.event, 'operator.created');
      assert.equal(ex.body.entity_type, 'operator');
      assert.equal('app_id' in ex.body, false);
      assert.deepEqual(ex.body.entity, salesiq.event_types.find((t) => t.name === 'operator.created')!.example);
    });

    test('smarterbot: lead and appointment records arrive as the body itself with the smarterbot preset', async () => {
      const r = await h.api('POST', '/event-types/import', { catalogue: 'smarterbot' });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.created, ['lead.created', 'appointment.created']);
      const w = await h.api('POST', '/orgs/acme/webhooks', { url: receiver.url('/crm'), events: ['lead.created', 'appointment.created'], preset: 'smarterbot' });
      assert.equal(w.status, 201, JSON.stringify(w.body));
      for (const t of smarterbot.event_types) {
        assert.equal((await h.api('POST', '/orgs/acme/events', { event: t.name, entity: t.example })).status, 202);
      }
      const crm = await eventually(async () => {
        const got = receiver.posts.filter((p) => p.path === '/crm');
        return got.length >= 2 ? got : undefined;
      });
      const bodies = crm.map((p) => p.body).sort();
      assert.deepEqual(bodies, smarterbot.event_types.map((t) => JSON.stringify(t.example)).sort());
      const wrongType = await h.api('POST', '/orgs/acme/events', { event: 'lead.created', entity: { ...(smarterbot.event_types[0]!.example as object), Type: 'Appointment' } });
      assert.equal(wrongType.status, 400);
    });

    test('replace: a differing type is kept (skipped) unless replace is true; ingest sees the new schema at once', async () => {
      const v1 = { name: 'test.thing', kind: 'admin', schema: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } };
      assert.deepEqual((await h.api('POST', '/event-types/import', { event_types: [v1] })).body.created, ['test.thing']);
      assert.equal((await h.api('POST', '/orgs/acme/events', { event: 'test.thing', entity: { id: 'a' } })).status, 202);
      const v2 = { ...v1, description: 'ids are numbers now', schema: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } } };
      const kept = await h.api('POST', '/event-types/import', { event_types: [v2] });
      assert.deepEqual([kept.body.skipped, kept.body.updated], [['test.thing'], []]);
      assert.equal((await h.api('GET', '/event-types/test.thing')).body.description, '');
      const replaced = await h.api('POST', '/event-types/import', { event_types: [v2], replace: true });
      assert.deepEqual(replaced.body.updated, ['test.thing']);
      const stored = (await h.api('GET', '/event-types/test.thing')).body;
      assert.equal(stored.description, 'ids are numbers now');
      assert.ok(Date.parse(stored.updated_at) >= Date.parse(stored.created_at));
      const old = await h.api('POST', '/orgs/acme/events', { event: 'test.thing', entity: { id: 'a' } });
      assert.equal(old.status, 400, 'the cached schema was forgotten');
      assert.equal((await h.api('POST', '/orgs/acme/events', { event: 'test.thing', entity: { id: 7 } })).status, 202);
    });

    test('a bad import changes nothing and says why; unknown catalogues and limited keys are refused', async () => {
      const before = await countTypes();
      const good = { name: 'good.one', description: 'fine' };
      const cases: [string, unknown, number, string][] = [
        ['invalid name', { event_types: [good, { name: 'bad name' }] }, 400, 'HERALD_VALIDATION_FAILED'],
        ['schema that does not compile', { event_types: [good, { name: 'bad.schema', schema: { type: 'nonsense' } }] }, 422, 'HERALD_CATALOGUE_INVALID'],
        ['name twice', { event_types: [good, { ...good, description: 'twice' }] }, 422, 'HERALD_CATALOGUE_INVALID'],
        ['unknown field', { event_types: [{ ...good, colour: 'red' }] }, 400, 'HERALD_VALIDATION_FAILED'],
        ['empty list', { event_types: [] }, 400, 'HERALD_VALIDATION_FAILED'],
        ['both catalogue and list', { catalogue: 'salesiq', event_types: [good] }, 400, 'HERALD_BAD_REQUEST'],
        ['neither', {}, 400, 'HERALD_BAD_REQUEST'],
        ['unknown catalogue', { catalogue: 'nope' }, 404, 'HERALD_CATALOGUE_NOT_FOUND'],
        ['path as catalogue name', { catalogue: '../package' }, 404, 'HERALD_CATALOGUE_NOT_FOUND'],
      ];
      for (const [name, body, status, code] of cases) {
        const r = await h.api('POST', '/event-types/import', body);
        assert.equal(r.status, status, `${name}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, code, name);
      }
      const compile = await h.api('POST', '/event-types/import', { event_types: [good, { name: 'bad.schema', schema: { type: 'nonsense' } }] });
      assert.equal(compile.body.error.details.problems[0].path, '/event_types/1/schema');
      const unknown = await h.api('POST', '/event-types/import', { catalogue: 'nope' });
      assert.match(unknown.body.error.message, /salesiq, smarterbot/);
      const limited = await h.api('POST', '/api-keys', { name: 'org key', scopes: ['event_types:write', 'event_types:read'], org_id: 'acme' });
      assert.equal(limited.status, 201);
      const forbidden = await h.api('POST', '/event-types/import', { catalogue: 'salesiq' }, { key: limited.body.key as string });
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.body.error.code, 'HERALD_FORBIDDEN_SCOPE');
      assert.equal((await h.api('POST', '/event-types/import', { catalogue: 'salesiq' }, { key: null })).status, 401);
      assert.equal(await countTypes(), before);
      assert.equal((await h.api('GET', '/event-types/good.one')).status, 404);
    });

    test('the herald command: catalogue list, example and load against this Herald', async () => {
      assert.ok(existsSync(DIST_CLI), 'the CLI is not built: run "npx tsc -b packages/server" first');
      const env = { HERALD_URL: h.url, HERALD_API_KEY: ADMIN_KEY };
      const free = await freePort();
      // Independent runs go in parallel: each child process loads the whole CLI.
      const [list, ex, unknown, wrongKey, noKey, down] = await Promise.all([
        herald(['catalogue', 'list'], env),
        herald(['catalogue', 'example', 'conversation.created'], env),
        herald(['catalogue', 'load', 'nope'], env),
        herald(['catalogue', 'list'], { HERALD_URL: h.url, HERALD_API_KEY: 'hk_wrong' }),
        herald(['catalogue', 'list'], { HERALD_URL: h.url }),
        herald(['catalogue', 'list'], { HERALD_URL: `http://127.0.0.1:${free}`, HERALD_ADMIN_KEY: ADMIN_KEY }),
      ]);
      assert.equal(list.code, 0, list.stderr);
      for (const n of [...DATA_EVENTS, ...ADMIN_EVENTS]) assert.match(list.stdout, new RegExp(`^${n.replace(/\./g, '\\.')}\\s+(data|admin)\\s`, 'm'), n);

      assert.equal(ex.code, 0, ex.stderr);
      const envelope = JSON.parse(ex.stdout) as Record<string, unknown>;
      assert.equal(envelope.event, 'conversation.created');
      assert.equal(envelope.entity_type, 'conversation');
      assert.equal(typeof envelope.app_id, 'string', 'a data event example carries an app_id');
      assert.deepEqual(envelope.entity, salesiq.event_types.find((t) => t.name === 'conversation.created')!.example);

      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /HERALD_CATALOGUE_NOT_FOUND/);
      assert.equal(wrongKey.code, 2);
      assert.match(wrongKey.stderr, /refused the API key in HERALD_API_KEY/);
      assert.equal(noKey.code, 2);
      assert.match(noKey.stderr, /set HERALD_API_KEY/);
      assert.equal(down.code, 2);
      assert.match(down.stderr, new RegExp(`cannot reach Herald at http://127\\.0\\.0\\.1:${free} .*herald serve`));

      const dir = mkdtempSync(join(tmpdir(), 'herald-cat-'));
      try {
        const file = join(dir, 'mine.json');
        writeFileSync(file, JSON.stringify({ catalogue: 'mine', event_types: [{ name: 'invoice.paid', description: 'An invoice was paid' }] }));
        const yamlFile = join(dir, 'mine.yaml');
        writeFileSync(yamlFile, 'catalogue: mine\nevent_types:\n  - name: invoice.refunded\n    kind: data\n');
        const broken = join(dir, 'broken.json');
        writeFileSync(broken, JSON.stringify({ event_types: [{ name: 'no spaces' }] }));
        const [again, loaded, yaml, bad] = await Promise.all([
          herald(['catalogue', 'load', 'salesiq'], env),
          herald(['catalogue', 'load', file], env),
          herald(['catalogue', 'load', yamlFile], env),
          herald(['catalogue', 'load', broken], env),
        ]);
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stdout, /unchanged\s+16/);
        assert.equal(loaded.code, 0, loaded.stderr);
        assert.match(loaded.stdout, /created\s+1\s+invoice\.paid/);
        assert.equal(yaml.code, 0, yaml.stderr);
        assert.equal((await h.api('GET', '/event-types/invoice.refunded')).body.kind, 'data');
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /event_types\/0\/name/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
