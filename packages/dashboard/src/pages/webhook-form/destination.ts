import { ApiError } from '../../api/client';
import type { DestinationKind, Webhook, WebhookInput } from '../../api/types';

/**
 * A webhook's destination as the form holds it (text, as typed), and how it becomes the API's
 * `destination` (docs/destinations.md). Credentials are write-only: the API shows which are set
 * (`secrets_set`), never their value, and a PATCH with a destination replaces all of it,
 * credentials included. So the form sends the destination only when the user changed it, and
 * then asks again for the credentials that were set.
 */
export type { DestinationKind };
export type NatsAuth = 'none' | 'user' | 'token';

/**
 * An address with its password apart (AMQP, Redis). `noPassword`: the password that is set is
 * removed on save, as NATS's "None" does (the form offers it only when one is set).
 */
export interface AddressedDraft {
  url: string;
  password: string;
  noPassword: boolean;
}

export interface DestinationDraft {
  kind: DestinationKind;
  /** http: the endpoint URL. */
  endpoint: string;
  amqp: AddressedDraft & { exchange: string; routingKey: string; persistent: boolean; mandatory: boolean };
  nats: { servers: string; subject: string; auth: NatsAuth; user: string; pass: string; token: string };
  redis: AddressedDraft & { stream: string; maxlen: string };
}

/** The fields a problem can be shown at: the API's names (nats `pass` and `token` included). */
export type DestinationField = 'url' | 'password' | 'exchange' | 'routing_key' | 'servers' | 'subject' | 'user' | 'pass' | 'token' | 'stream' | 'maxlen';
export type DestinationErrors = Partial<Record<DestinationField | 'other', string[]>>;

export const KIND_LABELS: Record<DestinationKind, string> = {
  http: 'HTTP POST to a URL',
  poll: 'Poll: its consumer fetches deliveries',
  amqp: 'RabbitMQ (AMQP)',
  nats: 'NATS JetStream',
  'redis-stream': 'Redis stream',
};
export const KINDS = Object.keys(KIND_LABELS) as DestinationKind[];

const BROKER_SCHEMES: Partial<Record<DestinationKind, string[]>> = { amqp: ['amqp:', 'amqps:'], nats: ['nats:', 'tls:'], 'redis-stream': ['redis:', 'rediss:'] };

export function draftFrom(w: Pick<Webhook, 'url' | 'destination'> | undefined): DestinationDraft {
  const d = w?.destination;
  return {
    kind: d?.kind ?? 'http',
    endpoint: d?.kind === 'http' ? w!.url : '',
    amqp: d?.kind === 'amqp'
      ? { url: d.url, password: '', noPassword: false, exchange: d.exchange, routingKey: d.routing_key, persistent: d.persistent, mandatory: d.mandatory }
      : { url: '', password: '', noPassword: false, exchange: '', routingKey: 'herald.{event_type}', persistent: true, mandatory: true },
    nats: d?.kind === 'nats'
      ? { servers: d.servers.join('\n'), subject: d.subject, auth: d.secrets_set.includes('token') ? 'token' : d.user !== undefined ? 'user' : 'none', user: d.user ?? '', pass: '', token: '' }
      : { servers: '', subject: 'herald.{event_type}', auth: 'none', user: '', pass: '', token: '' },
    redis: d?.kind === 'redis-stream'
      ? { url: d.url, password: '', noPassword: false, stream: d.stream, maxlen: d.maxlen === undefined ? '' : String(d.maxlen) }
      : { url: '', password: '', noPassword: false, stream: 'herald:{event_type}', maxlen: '' },
  };
}

/** The part of the draft the chosen kind uses: what "changed" compares. */
function chosen(d: DestinationDraft): unknown {
  switch (d.kind) {
    case 'http':
      return d.endpoint.trim();
    case 'amqp':
      return d.amqp;
    case 'nats':
      return d.nats;
    case 'redis-stream':
      return d.redis;
    case 'poll':
      return null;
  }
}

/** Whether the user changed the destination the form opened with. */
export function destinationChanged(draft: DestinationDraft, initial: DestinationDraft): boolean {
  return draft.kind !== initial.kind || JSON.stringify(chosen(draft)) !== JSON.stringify(chosen(initial));
}

/** AMQP's or Redis's address and password, for the kinds that have them. */
function addressed(d: DestinationDraft): AddressedDraft | null {
  return d.kind === 'amqp' ? d.amqp : d.kind === 'redis-stream' ? d.redis : null;
}

/**
 * The credential fields that must be typed again: the destination was changed but stays of the
 * kind that had them set (a PATCH replaces the whole destination, credentials included), and
 * the user did not choose to go without (NATS "None", AMQP and Redis "No password").
 */
export function secretsToRetype(draft: DestinationDraft, w: Pick<Webhook, 'destination'> | undefined, changed: boolean): DestinationField[] {
  const d = w?.destination;
  if (!changed || d === undefined || d.kind !== draft.kind || d.kind === 'http' || d.secrets_set.length === 0) return [];
  if (d.kind === 'nats') {
    if (draft.nats.auth === 'user' && d.secrets_set.includes('password')) return ['pass'];
    if (draft.nats.auth === 'token' && d.secrets_set.includes('token')) return ['token'];
    return [];
  }
  return addressed(draft)?.noPassword ? [] : ['password'];
}

/** The user chose to remove the password that is set (AMQP, Redis). */
export function removesPassword(draft: DestinationDraft): boolean {
  return addressed(draft)?.noPassword === true;
}

function parseUrl(text: string, kind: DestinationKind): { url: URL | null; problem: string | null } {
  const schemes = BROKER_SCHEMES[kind] ?? [];
  const example = `${schemes[0]}//host:port`;
  const t = text.trim();
  if (t === '') return { url: null, problem: `Enter the address, such as ${example}.` };
  if (!URL.canParse(t)) return { url: null, problem: `This is not an address such as ${example}.` };
  const url = new URL(t);
  if (!schemes.includes(url.protocol)) return { url: null, problem: `It must start with ${schemes.map((s) => `${s}//`).join(' or ')}.` };
  return { url, problem: null };
}

/**
 * What can be told before saving (required fields, schemes, numbers); the server checks the
 * rest (templates, subjects, hosts) and its problems are shown at the same fields.
 * `retype`: credentials that must be typed again (secretsToRetype).
 */
export function checkDestination(d: DestinationDraft, retype: DestinationField[]): DestinationErrors {
  const errors: DestinationErrors = {};
  const add = (f: DestinationField, m: string) => (errors[f] = [...(errors[f] ?? []), m]);
  const again = 'Enter it again: saving changed settings replaces the whole destination, credentials included.';
  const urlWithPassword = ({ url, password, noPassword }: AddressedDraft) => {
    const { url: u, problem } = parseUrl(url, d.kind);
    if (problem) add('url', problem);
    const inUrl = u !== null && u.password !== '';
    if (inUrl && noPassword) add('url', 'This address carries a password: take it out, or untick No password.');
    else if (inUrl && password !== '') add('password', 'Give the password once: here or in the URL, not both.');
    if (retype.includes('password') && password === '' && !inUrl) add('password', `${again} Or tick No password to remove it.`);
  };
  if (d.kind === 'amqp') urlWithPassword(d.amqp);
  if (d.kind === 'redis-stream') {
    urlWithPassword(d.redis);
    if (d.redis.stream.trim() === '') add('stream', 'Enter the stream key, e.g. herald:{event_type}.');
    const n = d.redis.maxlen.trim();
    if (n !== '' && !(/^\d+$/.test(n) && Number(n) >= 1 && Number(n) <= 1_000_000_000)) add('maxlen', 'A whole number from 1 to 1,000,000,000, or empty.');
  }
  if (d.kind === 'nats') {
    const servers = natsServers(d.nats.servers);
    if (servers.length === 0) add('servers', 'Enter at least one server, such as nats://host:4222.');
    if (servers.length > 16) add('servers', 'At most 16 servers.');
    for (const s of servers) {
      const { url, problem } = parseUrl(s, 'nats');
      if (problem) add('servers', `${s}: ${problem}`);
      else if (url && (url.username !== '' || url.password !== '')) add('servers', `${s}: put the user and password in the fields below, not in the address.`);
    }
    if (d.nats.subject.trim() === '') add('subject', 'Enter the subject, e.g. herald.{event_type}.');
    if (d.nats.auth === 'user') {
      if (d.nats.user.trim() === '') add('user', 'Enter the user name.');
      if (d.nats.pass === '') add('pass', retype.includes('pass') ? again : 'Enter the password.');
    }
    if (d.nats.auth === 'token' && d.nats.token === '') add('token', retype.includes('token') ? again : 'Enter the token.');
  }
  return errors;
}

function natsServers(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/** The address with the password typed apart put in (none when No password is chosen). */
function withPassword({ url, password, noPassword }: AddressedDraft): string {
  const u = new URL(url.trim());
  if (password !== '' && !noPassword) u.password = encodeURIComponent(password);
  return u.href;
}

/** The API's `destination` for the draft (checked first with checkDestination). */
export function destinationInput(d: DestinationDraft): NonNullable<WebhookInput['destination']> {
  switch (d.kind) {
    case 'http':
    case 'poll':
      return { kind: d.kind };
    case 'amqp':
      return {
        kind: 'amqp', url: withPassword(d.amqp), exchange: d.amqp.exchange.trim(), routing_key: d.amqp.routingKey.trim(),
        persistent: d.amqp.persistent, mandatory: d.amqp.mandatory,
      };
    case 'nats': {
      const auth = d.nats.auth === 'user' ? { user: d.nats.user.trim(), pass: d.nats.pass } : d.nats.auth === 'token' ? { token: d.nats.token } : undefined;
      return { kind: 'nats', servers: natsServers(d.nats.servers), subject: d.nats.subject.trim(), ...(auth ? { auth } : {}) };
    }
    case 'redis-stream': {
      const maxlen = d.redis.maxlen.trim();
      return { kind: 'redis-stream', url: withPassword(d.redis), stream: d.redis.stream.trim(), ...(maxlen ? { maxlen: Number(maxlen) } : {}) };
    }
  }
}

const FIELD_OF: Record<string, DestinationField> = {
  url: 'url', exchange: 'exchange', routing_key: 'routing_key', servers: 'servers', subject: 'subject', stream: 'stream', maxlen: 'maxlen',
  'auth.user': 'user', 'auth.pass': 'pass', 'auth.token': 'token', auth: 'user',
};

/**
 * A 422 HERALD_DESTINATION_INVALID as errors by field: each problem starts with its field's path
 * (`destination.routing_key may only use…`, `destination.servers.1 must start with…`); a host
 * refused by the address rule (reason blocked_address) names no field and goes to the address.
 * Anything else is kept under `other`. Null for any other error.
 */
export function serverDestinationErrors(err: unknown, kind: DestinationKind): DestinationErrors | null {
  if (!(err instanceof ApiError) || err.code !== 'HERALD_DESTINATION_INVALID') return null;
  const details = (err.details ?? {}) as { problems?: unknown; reason?: unknown };
  const problems = Array.isArray(details.problems) ? details.problems.filter((p): p is string => typeof p === 'string') : [];
  const errors: DestinationErrors = {};
  const add = (f: DestinationField | 'other', m: string) => (errors[f] = [...(errors[f] ?? []), m]);
  const addressField: DestinationField = kind === 'nats' ? 'servers' : 'url';
  for (const p of problems.length > 0 ? problems : [err.message]) {
    const m = /^destination\.([a-z_]+(?:\.(?:user|pass|token))?)(?:\.(\d+))?[:\s]\s*(.*)$/.exec(p);
    const field = m ? FIELD_OF[m[1]!] : undefined;
    if (m && field) add(field, m[2] === undefined ? sentence(m[3]!) : `Server ${Number(m[2]) + 1}: ${m[3]!}`);
    else if (details.reason === 'blocked_address') add(addressField, sentence(p));
    else add('other', sentence(p));
  }
  return errors;
}

export function mergeErrors(a: DestinationErrors, b: DestinationErrors): DestinationErrors {
  const out: DestinationErrors = { ...a };
  for (const [k, v] of Object.entries(b) as [keyof DestinationErrors, string[]][]) out[k] = [...(out[k] ?? []), ...v];
  return out;
}

function sentence(text: string): string {
  const t = text.trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}
