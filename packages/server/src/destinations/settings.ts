/**
 * Destination settings as a webhook's API caller writes them, checked when saved: the shape by
 * TypeBox schemas (also usable as route schemas), then what a schema cannot say (URL schemes,
 * templates, subjects). A usable input is split into settings, safe to store and show, and
 * secrets (passwords, tokens), which the caller seals at rest (secrets.ts).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { HeraldError } from '../errors.js';
import { AMQP_SHORTSTR_MAX, natsSubjectProblem, sampleName, templateProblems } from './name-template.js';
import type { DestinationKind, DestinationSecrets, DestinationSettings } from './types.js';

const URL_MAX = 2048;
const TEMPLATE_MAX = 1024;

export const AmqpInputSchema = Type.Object(
  {
    kind: Type.Literal('amqp'),
    url: Type.String({ minLength: 1, maxLength: URL_MAX, description: 'amqp://user:password@host:port/vhost (amqps:// for TLS); the password is stored sealed' }),
    exchange: Type.String({ maxLength: AMQP_SHORTSTR_MAX, description: 'Exchange to publish to ("" is the default exchange)' }),
    routing_key: Type.String({ maxLength: AMQP_SHORTSTR_MAX, description: 'Routing key template, e.g. "herald.{event_type}"' }),
    persistent: Type.Optional(Type.Boolean({ description: 'Persistent delivery mode (default true)' })),
    mandatory: Type.Optional(Type.Boolean({ description: 'A message no queue receives fails as unroutable (default true)' })),
  },
  { additionalProperties: false },
);

const NatsAuthSchema = Type.Union(
  [
    Type.Object({ user: Type.String({ minLength: 1, maxLength: 256 }), pass: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false }),
    Type.Object({ token: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false }),
  ],
  { description: '{user, pass} or {token}; stored sealed' },
);

export const NatsInputSchema = Type.Object(
  {
    kind: Type.Literal('nats'),
    servers: Type.Union([
      Type.String({ minLength: 1, maxLength: URL_MAX }),
      Type.Array(Type.String({ minLength: 1, maxLength: URL_MAX }), { minItems: 1, maxItems: 16 }),
    ], { description: 'nats://host:port (tls:// for TLS), one or several of the same cluster' }),
    subject: Type.String({ minLength: 1, maxLength: TEMPLATE_MAX, description: 'Subject template, e.g. "herald.{event_type}"' }),
    auth: Type.Optional(NatsAuthSchema),
  },
  { additionalProperties: false },
);

export const RedisStreamInputSchema = Type.Object(
  {
    kind: Type.Literal('redis-stream'),
    url: Type.String({ minLength: 1, maxLength: URL_MAX, description: 'redis://[user]:password@host:port/db (rediss:// for TLS); the password is stored sealed' }),
    stream: Type.String({ minLength: 1, maxLength: TEMPLATE_MAX, description: 'Stream key template, e.g. "herald:{event_type}"' }),
    maxlen: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'Approximate maximum length (XADD MAXLEN ~); absent: never trimmed' })),
  },
  { additionalProperties: false },
);

/** Pull delivery: the consumer leases deliveries over the API (docs/destinations.md, "poll"). */
export const PollInputSchema = Type.Object({ kind: Type.Literal('poll') }, { additionalProperties: false });

/** What the API accepts as a webhook's `destination`. */
export const DestinationInputSchema = Type.Union([AmqpInputSchema, NatsInputSchema, RedisStreamInputSchema, PollInputSchema]);
export type DestinationInput = Static<typeof DestinationInputSchema>;

/** Which secret fields each kind may hold, for callers that seal, show or rotate them. */
export const DESTINATION_SECRET_FIELDS: Readonly<Record<DestinationKind, readonly (keyof DestinationSecrets)[]>> = {
  amqp: ['password'],
  nats: ['password', 'token'],
  'redis-stream': ['password'],
  poll: [],
};

export const DESTINATION_KINDS: readonly DestinationKind[] = ['amqp', 'nats', 'redis-stream', 'poll'];

const checks: Record<DestinationKind, TypeCheck<TSchema>> = {
  amqp: TypeCompiler.Compile(AmqpInputSchema),
  nats: TypeCompiler.Compile(NatsInputSchema),
  'redis-stream': TypeCompiler.Compile(RedisStreamInputSchema),
  poll: TypeCompiler.Compile(PollInputSchema),
};

export interface ParsedDestination {
  settings: DestinationSettings;
  secrets: DestinationSecrets;
}

/**
 * Checks a destination input. Answers the settings and secrets, or the problems (one string
 * each, starting with the field's path) when it is not usable.
 */
export function checkDestination(input: unknown): ParsedDestination | { problems: string[] } {
  const kind = isRecord(input) ? input.kind : undefined;
  if (typeof kind !== 'string' || !(DESTINATION_KINDS as readonly string[]).includes(kind)) {
    return { problems: [`destination.kind must be one of ${DESTINATION_KINDS.join(', ')}`] };
  }
  const check = checks[kind as DestinationKind];
  if (!check.Check(input)) {
    const problems = [...check.Errors(input)].map((e) => `destination${e.path.replace(/\//g, '.')}: ${e.message}`);
    return { problems: [...new Set(problems)] };
  }
  const valid = input as DestinationInput;
  switch (valid.kind) {
    case 'amqp':
      return parseAmqp(valid);
    case 'nats':
      return parseNats(valid);
    case 'redis-stream':
      return parseRedisStream(valid);
    case 'poll':
      return { settings: { kind: 'poll' }, secrets: {} };
  }
}

/** checkDestination for a service: 422 HERALD_DESTINATION_INVALID with `details.problems`. */
export function parseDestination(input: unknown): ParsedDestination {
  const r = checkDestination(input);
  if ('problems' in r) throw new HeraldError('HERALD_DESTINATION_INVALID', [r.problems.join('; ')], { problems: r.problems });
  return r;
}

function parseAmqp(input: Static<typeof AmqpInputSchema>): ParsedDestination | { problems: string[] } {
  const problems: string[] = [];
  const url = parseUrl('destination.url', input.url, ['amqp:', 'amqps:'], problems);
  const password = url === null ? '' : takePassword(url);
  problems.push(...templateProblems('destination.routing_key', input.routing_key));
  if (Buffer.byteLength(sampleName(input.routing_key)) > AMQP_SHORTSTR_MAX) {
    problems.push(`destination.routing_key renders longer than ${AMQP_SHORTSTR_MAX} bytes`);
  }
  if (problems.length > 0 || url === null) return { problems };
  return {
    settings: {
      kind: 'amqp',
      url: url.href,
      exchange: input.exchange,
      routing_key: input.routing_key,
      persistent: input.persistent ?? true,
      mandatory: input.mandatory ?? true,
    },
    secrets: password === '' ? {} : { password },
  };
}

function parseNats(input: Static<typeof NatsInputSchema>): ParsedDestination | { problems: string[] } {
  const problems: string[] = [];
  const servers: string[] = [];
  const list = typeof input.servers === 'string' ? [input.servers] : input.servers;
  list.forEach((s, i) => {
    const field = typeof input.servers === 'string' ? 'destination.servers' : `destination.servers.${i}`;
    const url = parseUrl(field, s, ['nats:', 'tls:'], problems);
    if (url === null) return;
    if (url.username !== '' || url.password !== '') problems.push(`${field} must not hold credentials: put them in destination.auth`);
    else servers.push(url.href);
  });
  problems.push(...templateProblems('destination.subject', input.subject));
  const subjectProblem = natsSubjectProblem(sampleName(input.subject));
  if (subjectProblem !== null) problems.push(`destination.subject ${subjectProblem}`);
  if (problems.length > 0) return { problems };
  const settings: DestinationSettings = { kind: 'nats', servers, subject: input.subject };
  const auth = input.auth;
  if (auth === undefined) return { settings, secrets: {} };
  if ('token' in auth) return { settings, secrets: { token: auth.token } };
  return { settings: { ...settings, user: auth.user }, secrets: { password: auth.pass } };
}

function parseRedisStream(input: Static<typeof RedisStreamInputSchema>): ParsedDestination | { problems: string[] } {
  const problems: string[] = [];
  const url = parseUrl('destination.url', input.url, ['redis:', 'rediss:'], problems);
  if (url !== null && !/^\/?(\d{1,2})?$/.test(url.pathname)) problems.push('destination.url path is a database number, e.g. /0');
  const password = url === null ? '' : takePassword(url);
  problems.push(...templateProblems('destination.stream', input.stream));
  if (problems.length > 0 || url === null) return { problems };
  const settings: DestinationSettings = { kind: 'redis-stream', url: url.href, stream: input.stream };
  if (input.maxlen !== undefined) settings.maxlen = input.maxlen;
  return { settings, secrets: password === '' ? {} : { password } };
}

/** A broker URL with one of the schemes, a host, and no query or fragment (they would be ignored). */
function parseUrl(field: string, text: string, schemes: readonly string[], problems: string[]): URL | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problems.push(`${field} is not a URL such as ${schemes[0]}//host:port`);
    return null;
  }
  const before = problems.length;
  if (!schemes.includes(url.protocol)) problems.push(`${field} must start with ${schemes.map((s) => `${s}//`).join(' or ')}`);
  if (url.hostname === '') problems.push(`${field} names no host`);
  if (url.search !== '' || url.hash !== '') problems.push(`${field} must not carry a query or fragment`);
  return problems.length === before ? url : null;
}

/** Removes the password from the URL (it is a secret) and answers it decoded. */
function takePassword(url: URL): string {
  const password = safeDecode(url.password);
  url.password = '';
  return password;
}

export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
