import { useId, type ReactNode } from 'react';
import type { Webhook } from '../../api/types';
import { describedField, FieldMessages } from './FieldMessages';
import {
  KIND_LABELS, KINDS, removesPassword, secretsToRetype, type AddressedDraft, type DestinationDraft, type DestinationErrors, type DestinationField, type NatsAuth,
} from './destination';

interface Props {
  value: DestinationDraft;
  onChange: (d: DestinationDraft) => void;
  errors: DestinationErrors;
  /** The endpoint field of an HTTP destination (EndpointField). */
  endpoint: ReactNode;
  /** The destination of the webhook being edited; absent when creating one. */
  initial?: Webhook['destination'];
  /** The user changed the destination the form opened with. */
  changed: boolean;
  /** Puts the destination back as the form opened with it. */
  onKeep: () => void;
}

const NATS_AUTH: Record<NatsAuth, string> = { none: 'None', user: 'User and password', token: 'Token' };

type SecretField = 'password' | 'token';

interface TextField {
  f: DestinationField;
  label: string;
  v: string;
  set: (v: string) => void;
  hint: ReactNode;
  placeholder?: string;
  optional?: boolean;
  numeric?: boolean;
}

/**
 * Where deliveries go: an HTTP endpoint, a poll queue its consumer fetches, or a broker
 * (docs/destinations.md), with each kind's settings. Credentials are write-only: a field says
 * whether one is set, and that changed settings need it again.
 */
export function DestinationFields({ value, onChange, errors, endpoint, initial, changed, onKeep }: Props) {
  const base = useId();
  const secretSet = (field: SecretField) => initial !== undefined && initial.kind === value.kind && initial.kind !== 'http' && initial.secrets_set.includes(field);
  const described = (f: DestinationField) => describedField(`${base}-${f}`, Boolean(errors[f]));
  const messages = (f: DestinationField, hint: ReactNode) => <FieldMessages id={`${base}-${f}`} hint={hint} errors={errors[f]} />;
  const text = ({ f, label, v, set, hint, placeholder, optional = false, numeric = false }: TextField) => (
    <div className="field">
      <label htmlFor={`${base}-${f}`}>{label}</label>
      <input
        {...described(f)}
        value={v}
        placeholder={placeholder}
        spellCheck={false}
        autoComplete="off"
        required={!optional}
        inputMode={numeric ? 'numeric' : undefined}
        onChange={(e) => set(e.target.value)}
      />
      {messages(f, hint)}
    </div>
  );
  // Write-only: says whether one is set, never what it is.
  const secret = ({ f, label, v, set, secretOf, empty = '', removable }: Omit<TextField, 'hint'> & { secretOf: SecretField; empty?: string; removable?: boolean }) => (
    <div className="field">
      <label htmlFor={`${base}-${f}`}>{label}</label>
      <input {...described(f)} type="password" value={v} autoComplete="new-password" onChange={(e) => set(e.target.value)} />
      {messages(
        f,
        secretSet(secretOf)
          ? `One is set; Herald never shows it. Saving changed settings replaces it: enter it again then${removable ? ', or tick No password' : ''}.`
          : `Stored sealed and never shown again. ${empty}`.trim(),
      )}
    </div>
  );
  const amqp = (patch: Partial<DestinationDraft['amqp']>) => onChange({ ...value, amqp: { ...value.amqp, ...patch } });
  const nats = (patch: Partial<DestinationDraft['nats']>) => onChange({ ...value, nats: { ...value.nats, ...patch } });
  const redis = (patch: Partial<DestinationDraft['redis']>) => onChange({ ...value, redis: { ...value.redis, ...patch } });
  // AMQP and Redis: an address, and its password apart; one that is set can be removed (as NATS's "None").
  const urlAndPassword = (label: string, v: AddressedDraft, set: (p: Partial<AddressedDraft>) => void, hint: string, placeholder: string, empty: string) => (
    <>
      <div className="span-2">{text({ f: 'url', label, v: v.url, set: (url) => set({ url }), hint, placeholder })}</div>
      <div>
        {!v.noPassword &&
          secret({ f: 'password', label: 'Password', v: v.password, set: (password) => set({ password }), secretOf: 'password', empty, removable: secretSet('password') })}
        {secretSet('password') && (
          <label className="check">
            <input type="checkbox" checked={v.noPassword} onChange={(e) => set({ noPassword: e.target.checked, password: '' })} />
            No password: remove the one that is set
          </label>
        )}
      </div>
    </>
  );
  const retype = secretsToRetype(value, initial && { destination: initial }, changed);
  const changeWords = removesPassword(value)
    ? 'Saving replaces the whole destination and removes its password.'
    : `Saving replaces the whole destination${retype.length > 0 ? ', credentials included: enter them again' : ''}.`;
  const template = <>{'{event_type}'} is replaced by the event type (conversation.created).</>;

  return (
    <fieldset className="destination">
      <legend>Destination</legend>
      <div className="preset-options">
        {KINDS.map((k) => (
          <label key={k} className={`check preset-option ${k === value.kind ? 'chosen' : ''}`}>
            <input type="radio" name={`${base}-kind`} value={k} checked={k === value.kind} onChange={() => onChange({ ...value, kind: k })} />
            <span>{KIND_LABELS[k]}</span>
          </label>
        ))}
      </div>

      {initial && changed && initial.kind !== 'http' && (
        <div className="notice warning destination-change" role="status">
          <p>
            {value.kind === 'http'
              ? 'Saving turns this webhook into an HTTP webhook and deletes its stored credentials.'
              : changeWords}
          </p>
          <button type="button" className="button small" onClick={onKeep}>
            Keep the current destination
          </button>
        </div>
      )}

      {value.kind === 'http' && endpoint}

      {value.kind === 'poll' && (
        <p className="hint">
          Herald pushes nothing: it keeps the deliveries until this webhook's consumer fetches them over the API (<code>herald listen</code>, or your
          own program) and answers each one. Once saved, the webhook's page shows the addresses and the key its consumer needs.
        </p>
      )}

      {value.kind === 'amqp' && (
        <div className="form-grid two">
          {urlAndPassword(
            'Broker URL', value.amqp, amqp, 'amqp:// (amqps:// for TLS), user@host:port; the path is the vhost.',
            'amqp://herald@rabbit.internal:5672/prod', 'Empty: the URL’s, or guest with no user.',
          )}
          {text({
            f: 'exchange', label: 'Exchange', v: value.amqp.exchange, set: (exchange) => amqp({ exchange }), optional: true, placeholder: 'events',
            hint: 'It must exist. Empty: the default exchange, where the routing key names a queue.',
          })}
          <div className="span-2">
            {text({ f: 'routing_key', label: 'Routing key', v: value.amqp.routingKey, set: (routingKey) => amqp({ routingKey }), hint: template, optional: true })}
          </div>
          <label className="check span-2">
            <input type="checkbox" checked={value.amqp.persistent} onChange={(e) => amqp({ persistent: e.target.checked })} />
            Persistent messages (durable queues write them to disk before confirming)
          </label>
          <label className="check span-2">
            <input type="checkbox" checked={value.amqp.mandatory} onChange={(e) => amqp({ mandatory: e.target.checked })} />
            Mandatory: a message no queue receives fails as unroutable
          </label>
        </div>
      )}

      {value.kind === 'nats' && (
        <>
          <div className="field">
            <label htmlFor={`${base}-servers`}>Servers</label>
            <textarea
              {...described('servers')}
              rows={2}
              value={value.nats.servers}
              spellCheck={false}
              placeholder="nats://nats-1:4222"
              onChange={(e) => nats({ servers: e.target.value })}
            />
            {messages('servers', 'One per line, of the same cluster: nats:// (tls:// for TLS), without credentials.')}
          </div>
          {text({ f: 'subject', label: 'Subject', v: value.nats.subject, set: (subject) => nats({ subject }), hint: <>A JetStream stream must capture it. {template}</> })}
          <fieldset className="nested">
            <legend>Authentication</legend>
            {(Object.keys(NATS_AUTH) as NatsAuth[]).map((a) => (
              <label key={a} className="check">
                <input type="radio" name={`${base}-auth`} checked={value.nats.auth === a} onChange={() => nats({ auth: a })} />
                {NATS_AUTH[a]}
              </label>
            ))}
            {value.nats.auth === 'user' && (
              <div className="form-grid two">
                {text({ f: 'user', label: 'User', v: value.nats.user, set: (user) => nats({ user }), hint: 'The NATS user.' })}
                {secret({ f: 'pass', label: 'Password', v: value.nats.pass, set: (pass) => nats({ pass }), secretOf: 'password' })}
              </div>
            )}
            {value.nats.auth === 'token' && secret({ f: 'token', label: 'Token', v: value.nats.token, set: (token) => nats({ token }), secretOf: 'token' })}
          </fieldset>
        </>
      )}

      {value.kind === 'redis-stream' && (
        <div className="form-grid two">
          {urlAndPassword(
            'Redis URL', value.redis, redis, 'redis:// (rediss:// for TLS), [user@]host:port/db; the user is an ACL user.',
            'redis://redis.internal:6379/0', 'Empty: none.',
          )}
          {text({
            f: 'maxlen', label: 'Max length (optional)', v: value.redis.maxlen, set: (maxlen) => redis({ maxlen }), optional: true, numeric: true,
            hint: 'Trims the stream to about this many entries. Empty: never trimmed.',
          })}
          <div className="span-2">{text({ f: 'stream', label: 'Stream key', v: value.redis.stream, set: (stream) => redis({ stream }), hint: template })}</div>
        </div>
      )}

      {value.kind !== 'http' && value.kind !== 'poll' && (
        <p className="hint">Nothing connects when you save: send a test from the webhook's page to check that the broker takes its messages.</p>
      )}
      {errors.other?.map((m) => (
        <p key={m} className="field-error">
          {m}
        </p>
      ))}
    </fieldset>
  );
}
