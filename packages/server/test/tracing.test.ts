import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { configFromEnv, type Threads } from '../src/config.js';
import { ADMIN_KEY, eventually, TEST_THREADS, TestHerald } from './helpers/herald.js';
import { BROKER_PORTS, redisConsumer } from './helpers/broker-consumers.js';
import { OtlpReceiver, type ReceivedSpan } from './helpers/otlp.js';
import { HeraldProcess } from './helpers/process.js';
import { TestReceiver } from './helpers/receiver.js';
import { freshStore, STORE_KINDS } from './helpers/stores.js';

const BIN = fileURLToPath(new URL('../bin/herald.js', import.meta.url));
const CALLER_SPAN = '00f067aa0ba902b7';
const SPAN_KIND_CLIENT = 3;
const SPAN_KIND_PRODUCER = 4;

/** An ingest request that arrives inside the caller's own trace. */
function callerTrace(): { traceId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, traceparent: `00-${traceId}-${CALLER_SPAN}-01` };
}

function one(spans: ReceivedSpan[], what: string, pick: (s: ReceivedSpan) => boolean): ReceivedSpan {
  const found = spans.filter(pick);
  assert.equal(found.length, 1, `${what}: expected one span, got ${found.length} among ${spans.map((s) => s.name).join(', ')}`);
  return found[0]!;
}

for (const kind of STORE_KINDS) {
  for (const threads of ['engine', 'single'] as Threads[]) {
    describe(`tracing (${kind}, threads ${threads})`, () => {
      test('ingest → delivery: the request span, its commit across the thread boundary, the attempt linked to it; direct sends; traceparent forwarded, signature intact', async () => {
        const otlp = await OtlpReceiver.start();
        const rx = await TestReceiver.start();
        const h = await TestHerald.start(kind, { threads, tracing: { exporter: 'otlp', endpoint: otlp.url, protocol: 'http/json', forwardTraceparent: true } });
        const caller = callerTrace();
        const replay = callerTrace();
        let w: any;
        let deliveryId = '';
        try {
          w = await h.setup(rx.url('/hook?token=s3cret'), ['conversation.created']);
          const input = { event: 'conversation.created', entity: { id: 'c1' }, idempotency_key: 'k1' };
          const r = await h.api('POST', '/orgs/acme/events', input, { headers: { traceparent: caller.traceparent } });
          assert.equal(r.status, 202);
          await rx.waitFor(1);
          const again = await h.api('POST', '/orgs/acme/events', input, { headers: { traceparent: replay.traceparent } });
          assert.equal(again.headers.get('idempotent-replayed'), 'true');
          deliveryId = String(rx.posts[0]!.headers['webhook-id']);
          await eventually(async () => (await h.api('GET', `/orgs/acme/deliveries/${deliveryId}`)).body.status === 'succeeded');
          const t = await h.api('POST', `/orgs/acme/webhooks/${w.id}/test`, { event: 'conversation.created', entity: { id: 'c2' } });
          assert.equal(t.status, 200);
          assert.equal(t.body.succeeded, true);
        } finally {
          // Stopping flushes every thread's spans.
          await h.stop();
          await rx.close();
          await otlp.close();
        }
        const spans = otlp.spans();
        assert.ok(otlp.exports.every((e) => e.path === '/v1/traces' && e.contentType.includes('application/json')));
        const apiThread = threads === 'engine' ? 'api' : 'main';
        const engineThread = threads === 'engine' ? 'engine' : 'main';

        const ingest = one(spans, 'ingest request', (s) => s.name === 'herald.ingest' && s.traceId === caller.traceId);
        assert.equal(ingest.traceId, caller.traceId, 'the ingest continues the caller\'s trace');
        assert.equal(ingest.parentSpanId, CALLER_SPAN);
        assert.equal(ingest.resource['herald.thread'], apiThread);
        assert.equal(ingest.resource['service.name'], 'herald');
        assert.deepEqual(
          { org: ingest.attributes['herald.org_id'], types: ingest.attributes['herald.event_types'], count: ingest.attributes['herald.events.count'], deliveries: ingest.attributes['herald.deliveries.created'], replayed: ingest.attributes['herald.events.replayed'] },
          { org: 'acme', types: ['conversation.created'], count: 1, deliveries: 1, replayed: 0 },
        );

        const replayed = one(spans, 'replayed ingest', (s) => s.name === 'herald.ingest' && s.traceId === replay.traceId);
        assert.equal(replayed.attributes['herald.events.replayed'], 1);
        assert.equal(replayed.attributes['herald.deliveries.created'], 0);

        const commit = one(spans, 'ingest commit', (s) => s.name === 'herald.ingest.commit' && s.traceId === caller.traceId);
        assert.equal(commit.parentSpanId, ingest.spanId, 'the commit is a child of the request span, across the channel when threaded');
        assert.deepEqual(commit.links.map((l) => [l.traceId, l.spanId]), [[caller.traceId, ingest.spanId]]);
        assert.equal(commit.resource['herald.thread'], engineThread);
        assert.equal(commit.attributes['db.system.name'], kind === 'postgres' ? 'postgresql' : 'sqlite');
        assert.equal(commit.attributes['herald.events.count'], 1);
        assert.equal(commit.attributes['herald.deliveries.created'], 1);

        const attempt = one(spans, 'delivery attempt', (s) => s.name === 'herald.attempt' && s.attributes['herald.delivery_id'] === deliveryId);
        assert.equal(attempt.kind, SPAN_KIND_CLIENT);
        assert.equal(attempt.resource['herald.thread'], engineThread);
        assert.notEqual(attempt.traceId, caller.traceId, 'an attempt starts a trace of its own…');
        assert.equal(attempt.parentSpanId, '');
        assert.deepEqual(attempt.links.map((l) => [l.traceId, l.spanId]), [[caller.traceId, ingest.spanId]], '…linked to its event\'s ingest');
        assert.deepEqual(
          {
            method: attempt.attributes['http.request.method'], url: attempt.attributes['url.full'], status: attempt.attributes['http.response.status_code'],
            outcome: attempt.attributes['herald.outcome'], webhook: attempt.attributes['herald.webhook_id'], no: attempt.attributes['herald.attempt'],
          },
          { method: 'POST', url: rx.url('/hook?token=REDACTED'), status: 200, outcome: 'success', webhook: w.id, no: 1 },
        );
        assert.equal(typeof attempt.attributes['herald.attempt.duration_ms'], 'number');

        const got = rx.posts[0]!;
        assert.equal(got.headers.traceparent, `00-${attempt.traceId}-${attempt.spanId}-01`, 'the receiver continues the attempt\'s trace');
        const signed = { 'webhook-id': deliveryId, 'webhook-timestamp': String(got.headers['webhook-timestamp']), 'webhook-signature': String(got.headers['webhook-signature']) };
        assert.doesNotThrow(() => new StandardWebhook(w.key.secret).verify(got.body, signed), 'traceparent is outside the signature');

        const completion = spans.filter((s) => s.name === 'herald.complete');
        assert.ok(completion.length >= 1, 'the completion write');
        assert.ok(completion.every((s) => s.resource['herald.thread'] === engineThread && Number(s.attributes['herald.results.count']) >= 1));

        const direct = one(spans, 'direct send', (s) => s.name === 'herald.direct_send');
        assert.equal(direct.attributes['herald.direct.mode'], 'test');
        assert.equal(direct.attributes['herald.outcome'], 'success');
        const directAttempt = one(spans, 'direct send attempt', (s) => s.name === 'herald.attempt' && s.parentSpanId === direct.spanId);
        assert.equal(directAttempt.traceId, direct.traceId);
        assert.equal(directAttempt.attributes['http.response.status_code'], 200);
        assert.equal(directAttempt.attributes['herald.is_test'], true);
      });
    });
  }

  describe(`tracing (${kind}, threads ${TEST_THREADS})`, () => {
    test('a broker destination\'s attempt is a producer span in messaging terms, not an HTTP POST', async () => {
      const otlp = await OtlpReceiver.start();
      const consumer = await redisConsumer();
      const h = await TestHerald.start(kind, { tracing: { exporter: 'otlp', endpoint: otlp.url, protocol: 'http/json', forwardTraceparent: false } });
      let deliveryId = '';
      try {
        assert.equal((await h.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'owner@acme.test' })).status, 201);
        const w = await h.api('POST', '/orgs/acme/webhooks', { events: ['conversation.created'], destination: consumer.input(BROKER_PORTS['redis-stream']) });
        assert.equal(w.status, 201, JSON.stringify(w.body));
        assert.equal((await h.api('POST', '/orgs/acme/events', { event: 'conversation.created', entity: { id: 'c1' } })).status, 202);
        deliveryId = (await consumer.read(1))[0]!.deliveryId;
        await eventually(async () => (await h.api('GET', `/orgs/acme/deliveries/${deliveryId}`)).body.status === 'succeeded');
      } finally {
        await h.stop();
        await consumer.close();
        await otlp.close();
      }
      const attempt = one(otlp.spans(), 'broker attempt', (s) => s.name === 'herald.attempt' && s.attributes['herald.delivery_id'] === deliveryId);
      assert.equal(attempt.kind, SPAN_KIND_PRODUCER);
      assert.deepEqual(
        {
          system: attempt.attributes['messaging.system'], op: attempt.attributes['messaging.operation.type'], id: attempt.attributes['messaging.message.id'],
          host: attempt.attributes['server.address'], port: attempt.attributes['server.port'], outcome: attempt.attributes['herald.outcome'],
        },
        { system: 'redis', op: 'send', id: deliveryId, host: '127.0.0.1', port: BROKER_PORTS['redis-stream'], outcome: 'success' },
      );
      assert.equal(attempt.attributes['http.request.method'], undefined);
      assert.equal(attempt.attributes['url.full'], undefined);
    });

    test('off by default: nothing is exported and receivers get no traceparent', async () => {
      const otlp = await OtlpReceiver.start();
      const rx = await TestReceiver.start();
      // The endpoint is set and reachable: only the switch is off.
      const h = await TestHerald.start(kind, { tracing: { endpoint: otlp.url } });
      try {
        await h.setup(rx.url(), ['conversation.created']);
        const r = await h.api('POST', '/orgs/acme/events', { event: 'conversation.created', entity: { id: 'c1' } }, { headers: { traceparent: callerTrace().traceparent } });
        assert.equal(r.status, 202);
        await rx.waitFor(1);
      } finally {
        await h.stop();
        await rx.close();
        await otlp.close();
      }
      assert.equal(otlp.exports.length, 0);
      assert.equal(rx.posts[0]!.headers.traceparent, undefined);
    });

    test('herald serve set by the OTEL_* variables exports both threads\' spans, flushed on SIGTERM', async () => {
      const otlp = await OtlpReceiver.start();
      const rx = await TestReceiver.start();
      const store = await freshStore(kind);
      let herald: HeraldProcess | null = null;
      try {
        herald = await HeraldProcess.start(store, {
          HERALD_TRACING: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlp.port}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_SERVICE_NAME: 'herald-under-test', HERALD_THREADS: 'engine',
        });
        assert.equal((await herald.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'o@acme.test' })).status, 201);
        assert.equal((await herald.api('POST', '/orgs/acme/webhooks', { url: rx.url(), events: ['conversation.created'] })).status, 201);
        assert.equal((await herald.api('POST', '/orgs/acme/events', { event: 'conversation.created', entity: { id: 'c1' } })).status, 202);
        await rx.waitFor(1);
        await eventually(async () => (await herald!.metric('herald_deliveries_completed_total')) >= 1);
        assert.equal(await herald.stop(), 0);
      } finally {
        await herald?.stop();
        await rx.close();
        await otlp.close();
        await store.cleanup();
      }
      const spans = otlp.spans();
      const ingest = one(spans, 'ingest request', (s) => s.name === 'herald.ingest');
      const commit = one(spans, 'ingest commit', (s) => s.name === 'herald.ingest.commit');
      const attempt = one(spans, 'attempt', (s) => s.name === 'herald.attempt');
      assert.deepEqual([ingest, commit, attempt].map((s) => [s.resource['service.name'], s.resource['herald.thread']]), [['herald-under-test', 'api'], ['herald-under-test', 'engine'], ['herald-under-test', 'engine']]);
      assert.equal(commit.parentSpanId, ingest.spanId);
      assert.equal(attempt.attributes['http.response.status_code'], 200);
    });

    test('OTLP over protobuf (the default protocol) reaches the receiver with the trace in it', async () => {
      const otlp = await OtlpReceiver.start();
      const rx = await TestReceiver.start();
      const h = await TestHerald.start(kind, { tracing: { exporter: 'otlp', endpoint: otlp.url } });
      const caller = callerTrace();
      try {
        await h.setup(rx.url(), ['conversation.created']);
        await h.api('POST', '/orgs/acme/events', { event: 'conversation.created', entity: { id: 'c1' } }, { headers: { traceparent: caller.traceparent } });
        await rx.waitFor(1);
        const id = String(rx.posts[0]!.headers['webhook-id']);
        await eventually(async () => (await h.api('GET', `/orgs/acme/deliveries/${id}`)).body.status === 'succeeded');
      } finally {
        await h.stop();
        await rx.close();
        await otlp.close();
      }
      assert.ok(otlp.exports.length > 0);
      assert.ok(otlp.exports.every((e) => e.contentType === 'application/x-protobuf'));
      const bytes = Buffer.concat(otlp.exports.map((e) => e.body));
      for (const needle of [Buffer.from(caller.traceId, 'hex'), Buffer.from('herald.ingest.commit'), Buffer.from('herald.attempt'), Buffer.from('herald.complete')]) {
        assert.ok(bytes.includes(needle), `the export carries ${needle.toString('hex')}`);
      }
    });
  });
}

describe('tracing settings', () => {
  test('off unless HERALD_TRACING or OTEL_TRACES_EXPORTER says otlp; the standard variables set the rest', () => {
    assert.equal(configFromEnv({}).tracing.exporter, 'none');
    assert.equal(configFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing.exporter, 'none');
    assert.equal(configFromEnv({ OTEL_TRACES_EXPORTER: 'otlp' }).tracing.exporter, 'otlp');
    assert.equal(configFromEnv({ HERALD_TRACING: 'none', OTEL_TRACES_EXPORTER: 'otlp' }).tracing.exporter, 'none', 'Herald\'s own switch wins');
    assert.equal(configFromEnv({ HERALD_TRACING: 'otlp', OTEL_SDK_DISABLED: 'true' }).tracing.exporter, 'none');
    const t = configFromEnv({
      HERALD_TRACING: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,team=hooks%20core', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25',
      HERALD_TRACING_TRACEPARENT: 'true',
    }).tracing;
    assert.deepEqual(t, {
      exporter: 'otlp', endpoint: 'http://collector:4318/v1/traces', protocol: 'http/json', serviceName: 'herald',
      resourceAttributes: { 'deployment.environment.name': 'prod', team: 'hooks core' }, sampler: 'parentbased_traceidratio', samplerArg: 0.25, forwardTraceparent: true,
    });
    const own = configFromEnv({ HERALD_TRACING: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/traces', OTEL_RESOURCE_ATTRIBUTES: 'service.name=hooks' }).tracing;
    assert.equal(own.endpoint, 'https://b/traces', 'the traces endpoint is used as given');
    assert.equal(own.serviceName, 'hooks');
    assert.equal(configFromEnv({ OTEL_SERVICE_NAME: 'svc', OTEL_RESOURCE_ATTRIBUTES: 'service.name=hooks' }).tracing.serviceName, 'svc');
  });

  test('a bad setting is refused with a one-line error naming the variable', () => {
    const bad: Record<string, string>[] = [
      { HERALD_TRACING: 'jaeger' },
      { OTEL_TRACES_EXPORTER: 'zipkin' },
      { HERALD_TRACING: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
      { HERALD_TRACING: 'otlp', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://collector/v1/traces' },
      { HERALD_TRACING: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      { HERALD_TRACING: 'otlp', OTEL_TRACES_SAMPLER: 'sometimes' },
      { HERALD_TRACING: 'otlp', OTEL_TRACES_SAMPLER_ARG: '1.5' },
      { HERALD_TRACING: 'otlp', OTEL_RESOURCE_ATTRIBUTES: 'justakey' },
      { HERALD_TRACING_TRACEPARENT: 'true' },
      { HERALD_TRACING: 'otlp', HERALD_TRACING_TRACEPARENT: 'maybe' },
    ];
    for (const env of bad) {
      assert.throws(() => configFromEnv(env), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'HERALD_CONFIG_INVALID', JSON.stringify(env));
        assert.ok(!err.message.includes('\n'), err.message);
        const named = Object.keys(env).some((k) => err.message.includes(k));
        assert.ok(named, `${err.message} names the variable`);
        return true;
      });
    }
  });

  test('herald serve refuses a bad tracing setting: exit 2 and one line on stderr', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'herald-tracing-'));
    try {
      const proc = spawn(process.execPath, [BIN, 'serve'], {
        env: { ...process.env, HERALD_DATA_DIR: dataDir, HERALD_PORT: '0', HERALD_HOST: '127.0.0.1', HERALD_ADMIN_KEY: ADMIN_KEY, HERALD_TRACING: 'zipkin' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
      clearTimeout(timer);
      assert.equal(code, 2);
      assert.equal(stderr, 'herald: HERALD_TRACING must be one of none, otlp, got "zipkin"\n');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
