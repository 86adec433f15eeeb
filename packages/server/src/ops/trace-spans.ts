/**
 * The spans Herald records (docs/tracing.md), one helper per kind of work. Each runs its
 * function inside a span that ends when the function settles (a throw marks it an error);
 * with tracing off each helper is a plain call of the function.
 *
 * An attempt runs long after its event was ingested, often in another batch or process, so it
 * starts a trace of its own and links to the ingest: the request that carried its event when
 * this process ingested it (remembered here for the last INGEST_LINKS events), else nothing.
 */
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span, type SpanContext, type SpanOptions, type Tracer } from '@opentelemetry/api';
import {
  ATTR_DB_OPERATION_BATCH_SIZE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '@opentelemetry/semantic-conventions';
import type { BrokerKind } from '../destinations/types.js';
import type { Attempt } from '../model.js';
import type { IngestedEvent, IngestGroup, IngestGroupResult } from '../store/types.js';
import { activeTracer, contextFromHeaders } from './tracing.js';

type Headers = Record<string, string | string[] | undefined>;

function inSpan<T>(tracer: Tracer, name: string, options: SpanOptions, parent: Context, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, options, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

function dbSystem(dialect: 'sqlite' | 'postgres'): string {
  return dialect === 'postgres' ? DB_SYSTEM_NAME_VALUE_POSTGRESQL : 'sqlite';
}

// --- which request ingested an event (for the attempts' links) ---

const INGEST_LINKS = 10_000;
const ingestOf = new Map<string, SpanContext>();

function rememberIngest(eventId: string, ctx: SpanContext): void {
  ingestOf.set(eventId, ctx);
  if (ingestOf.size > INGEST_LINKS) ingestOf.delete(ingestOf.keys().next().value!);
}

function countIngested(events: readonly IngestedEvent[]): Attributes {
  let deliveries = 0;
  let replayed = 0;
  // A replay answers the deliveries its first request created: none are created now.
  for (const e of events) {
    if (e.replayed) replayed++;
    else deliveries += e.deliveries;
  }
  return { 'herald.deliveries.created': deliveries, 'herald.events.replayed': replayed };
}

// --- the spans ---

/**
 * An ingest request (API thread): org, event types and count, then deliveries created and
 * events replayed. It continues the caller's trace when the request carries a `traceparent`.
 */
export function traceIngestRequest(orgId: string, types: readonly string[], headers: Headers, fn: () => Promise<IngestedEvent[]>): Promise<IngestedEvent[]> {
  const tracer = activeTracer();
  if (!tracer) return fn();
  const attributes = { 'herald.org_id': orgId, 'herald.event_types': [...new Set(types)], 'herald.events.count': types.length };
  return inSpan(tracer, 'herald.ingest', { kind: SpanKind.SERVER, attributes }, contextFromHeaders(headers), async (span) => {
    const events = await fn();
    span.setAttributes(countIngested(events));
    return events;
  });
}

/** What the ingest queue captured of one request: its events and the span context it arrived in. */
export interface TracedIngest {
  group: IngestGroup;
  trace?: SpanContext | undefined;
}

/**
 * One group commit (engine thread): the requests it carried, their events, the deliveries it
 * created. It is a child of the first request it carried (so a lone request's trace shows its
 * commit) and links to every one of them.
 */
export function traceIngestCommit(batch: readonly TracedIngest[], dialect: 'sqlite' | 'postgres', fn: () => Promise<IngestGroupResult[]>): Promise<IngestGroupResult[]> {
  const tracer = activeTracer();
  if (!tracer) return fn();
  const carried = batch.map((w) => w.trace).filter((t): t is SpanContext => t !== undefined);
  const links: Link[] = carried.map((c) => ({ context: c }));
  const parent = carried[0] ? trace.setSpanContext(ROOT_CONTEXT, carried[0]) : ROOT_CONTEXT;
  const events = batch.reduce((n, w) => n + w.group.length, 0);
  const attributes: Attributes = {
    [ATTR_DB_SYSTEM_NAME]: dbSystem(dialect), [ATTR_DB_OPERATION_NAME]: 'ingest', [ATTR_DB_OPERATION_BATCH_SIZE]: events,
    'herald.requests': batch.length, 'herald.events.count': events,
  };
  return inSpan(tracer, 'herald.ingest.commit', { kind: SpanKind.INTERNAL, attributes, links }, parent, async (span) => {
    const results = await fn();
    const stored = results.flatMap((r) => (r.ok ? r.events : []));
    span.setAttributes(countIngested(stored));
    const own = span.spanContext();
    results.forEach((r, i) => {
      if (!r.ok) return;
      const ctx = batch[i]?.trace ?? own;
      // A replayed event's deliveries came from the request that first stored it.
      for (const e of r.events) if (!e.replayed) rememberIngest(e.event_id, ctx);
    });
    return results;
  });
}

/** The attempt being traced: which delivery, which try, and (for a worker's delivery) its event. */
export interface TracedAttempt {
  deliveryId: string;
  webhookId: string;
  orgId: string;
  attemptNo: number;
  isTest: boolean;
  /** Set by the worker: the attempt starts a trace of its own linked to the event's ingest. Unset (a direct send): a child of the current span. */
  eventId?: string | undefined;
}

/** `url.full` without credentials: user info and every query value are redacted (webhook URLs often carry tokens there). */
function urlAttributes(raw: string): Attributes {
  try {
    const u = new URL(raw);
    if (u.username || u.password) {
      u.username = 'REDACTED';
      u.password = 'REDACTED';
    }
    for (const key of new Set(u.searchParams.keys())) u.searchParams.set(key, 'REDACTED');
    const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
    return { [ATTR_URL_FULL]: u.toString(), [ATTR_SERVER_ADDRESS]: u.hostname, [ATTR_SERVER_PORT]: port };
  } catch {
    return {};
  }
}

/** A broker URL's host and port only (its path names a vhost or database, its user is a credential). */
function serverAttributes(raw: string): Attributes {
  if (!URL.canParse(raw)) return {};
  const u = new URL(raw);
  return { [ATTR_SERVER_ADDRESS]: u.hostname, ...(u.port ? { [ATTR_SERVER_PORT]: Number(u.port) } : {}) };
}

/** One attempt (sign, send, judge): an HTTP client span with the delivery's ids and what came back. */
/** OpenTelemetry's `messaging.system` of each broker destination kind. */
const MESSAGING_SYSTEM: Readonly<Record<BrokerKind, string>> = { amqp: 'rabbitmq', nats: 'nats', 'redis-stream': 'redis' };

/**
 * An attempt's span: an HTTP client span (POST to the webhook's URL), or for a broker
 * destination a producer span in OpenTelemetry's messaging terms (a publish the broker confirms).
 */
export function traceAttempt<T extends { attempt: Attempt }>(req: TracedAttempt, url: string, fn: () => Promise<T>, broker?: BrokerKind): Promise<T> {
  const tracer = activeTracer();
  if (!tracer) return fn();
  const target: Attributes = broker === undefined
    ? { [ATTR_HTTP_REQUEST_METHOD]: 'POST', ...urlAttributes(url) }
    : {
      'messaging.system': MESSAGING_SYSTEM[broker], 'messaging.operation.type': 'send', 'messaging.operation.name': 'publish',
      'messaging.message.id': req.deliveryId, ...serverAttributes(url),
    };
  const attributes: Attributes = {
    ...target,
    'herald.org_id': req.orgId, 'herald.webhook_id': req.webhookId, 'herald.delivery_id': req.deliveryId,
    'herald.attempt': req.attemptNo, 'herald.is_test': req.isTest,
  };
  const options: SpanOptions = { kind: broker === undefined ? SpanKind.CLIENT : SpanKind.PRODUCER, attributes };
  let parent = context.active();
  if (req.eventId !== undefined) {
    options.root = true;
    parent = ROOT_CONTEXT;
    const ingest = ingestOf.get(req.eventId);
    if (ingest) options.links = [{ context: ingest, attributes: { 'herald.event_id': req.eventId } }];
    attributes['herald.event_id'] = req.eventId;
  }
  return inSpan(tracer, 'herald.attempt', options, parent, async (span) => {
    const run = await fn();
    const a = run.attempt;
    span.setAttributes({ 'herald.outcome': a.outcome, 'herald.attempt.duration_ms': a.duration_ms });
    if (a.status_code !== null) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, a.status_code);
    if (a.outcome !== 'success') {
      const type = a.error_code ?? String(a.status_code ?? 'error');
      span.setAttributes({ [ATTR_ERROR_TYPE]: type, 'herald.error_code': type });
      span.setStatus({ code: SpanStatusCode.ERROR, message: a.error_message ?? type });
    }
    return run;
  });
}

/** A batch of results written back (the completion transaction). */
export function traceCompletion<T extends { fenced: readonly string[] }>(results: number, dialect: 'sqlite' | 'postgres', fn: () => Promise<T>): Promise<T> {
  const tracer = activeTracer();
  if (!tracer) return fn();
  const attributes: Attributes = {
    [ATTR_DB_SYSTEM_NAME]: dbSystem(dialect), [ATTR_DB_OPERATION_NAME]: 'complete', [ATTR_DB_OPERATION_BATCH_SIZE]: results,
    'herald.results.count': results,
  };
  return inSpan(tracer, 'herald.complete', { kind: SpanKind.INTERNAL, attributes, root: true }, ROOT_CONTEXT, async (span) => {
    const report = await fn();
    span.setAttribute('herald.results.fenced', report.fenced.length);
    return report;
  });
}

/** A test send, trial run or synchronous call (API thread); its attempt, on the engine, is a child. */
export function traceDirectSend<T extends { succeeded: boolean; queued: boolean }>(orgId: string, webhookId: string, mode: string, headers: Headers, fn: () => Promise<T>): Promise<T> {
  const tracer = activeTracer();
  if (!tracer) return fn();
  const attributes = { 'herald.org_id': orgId, 'herald.webhook_id': webhookId, 'herald.direct.mode': mode };
  return inSpan(tracer, 'herald.direct_send', { kind: SpanKind.SERVER, attributes }, contextFromHeaders(headers), async (span) => {
    const out = await fn();
    span.setAttribute('herald.outcome', out.queued ? 'queued' : out.succeeded ? 'success' : 'failure');
    return out;
  });
}
