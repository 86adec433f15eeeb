import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkDestination as serverCheck } from '../../server/src/destinations/settings.js';
import { ApiError } from '../src/api/client.js';
import type { Webhook } from '../src/api/types.js';
import {
  checkDestination, destinationChanged, destinationInput, draftFrom, removesPassword, secretsToRetype, serverDestinationErrors, type DestinationDraft,
} from '../src/pages/webhook-form/destination.js';

/** The refusal the server answers for an input, built by the server's own checks. */
function refusal(input: unknown, extra: Record<string, unknown> = {}): ApiError {
  const r = serverCheck(input);
  assert.ok('problems' in r, 'the server refuses it');
  return new ApiError(422, 'HERALD_DESTINATION_INVALID', `The destination settings are not usable: ${r.problems.join('; ')}`, { problems: r.problems, ...extra });
}

const draft = (patch: (d: DestinationDraft) => void): DestinationDraft => {
  const d = draftFrom(undefined);
  patch(d);
  return d;
};

describe('the webhook form destination (what it sends, what it says)', () => {
  test('a password typed apart reaches the server intact, whatever its characters, and is taken out of the URL', () => {
    const password = 'p@ss:w%rd/é?#';
    const d = draft((x) => {
      x.kind = 'redis-stream';
      x.redis = { url: 'redis://herald@127.0.0.1:6379/2', password, noPassword: false, stream: 'herald:{event_type}', maxlen: '' };
    });
    assert.deepEqual(checkDestination(d, []), {});
    const parsed = serverCheck(destinationInput(d));
    assert.ok(!('problems' in parsed), JSON.stringify(parsed));
    assert.equal(parsed.secrets.password, password);
    assert.deepEqual(parsed.settings, { kind: 'redis-stream', url: 'redis://herald@127.0.0.1:6379/2', stream: 'herald:{event_type}' });
  });

  test('the server problems go to their fields: a NATS server by its number, the subject, a blocked host to the address', () => {
    const nats = refusal({ kind: 'nats', servers: ['nats://127.0.0.1:4222', 'http://b:1'], subject: 'a.*' });
    assert.deepEqual(serverDestinationErrors(nats, 'nats'), {
      servers: ['Server 2: must start with nats:// or tls://'],
      subject: ['Contains a wildcard (* or >)'],
    });
    const amqp = refusal({ kind: 'amqp', url: 'amqp://h', exchange: 'x', routing_key: 'k.{evnt}' });
    assert.deepEqual(serverDestinationErrors(amqp, 'amqp'), { routing_key: ['May only use the placeholder {event_type}'] });
    const schema = refusal({ kind: 'redis-stream', url: 'redis://h', stream: 's', maxlen: 0 });
    assert.deepEqual(Object.keys(serverDestinationErrors(schema, 'redis-stream') ?? {}), ['maxlen']);
    const blocked = new ApiError(422, 'HERALD_DESTINATION_INVALID', 'x', { problems: ['10.0.0.1 is a private or reserved address (10.0.0.1)'], reason: 'blocked_address' });
    assert.deepEqual(serverDestinationErrors(blocked, 'nats'), { servers: ['10.0.0.1 is a private or reserved address (10.0.0.1)'] });
    assert.equal(serverDestinationErrors(new ApiError(422, 'HERALD_URL_INVALID', 'x'), 'http'), null, 'other errors are not the destination\'s');
  });

  test('an edited destination: untouched it is not "changed"; changed, the credentials that were set are asked again', () => {
    const w = {
      url: 'nats://n:4222', destination: { kind: 'nats', servers: ['nats://n:4222'], subject: 'h.{event_type}', user: 'u', secrets_set: ['password'] },
    } as Pick<Webhook, 'url' | 'destination'>;
    const initial = draftFrom(w);
    assert.equal(initial.nats.auth, 'user');
    assert.equal(destinationChanged(structuredClone(initial), initial), false);
    const edited = { ...initial, nats: { ...initial.nats, subject: 'h2.{event_type}' } };
    assert.equal(destinationChanged(edited, initial), true);
    const retype = secretsToRetype(edited, w, true);
    assert.deepEqual(retype, ['pass']);
    assert.match(checkDestination(edited, retype).pass?.[0] ?? '', /^Enter it again/);
    // Choosing no authentication is a choice: nothing to type again, and none is sent.
    const none = { ...edited, nats: { ...edited.nats, auth: 'none' as const } };
    assert.deepEqual(secretsToRetype(none, w, true), []);
    assert.equal('auth' in destinationInput(none), false);
    // Another kind starts afresh.
    assert.deepEqual(secretsToRetype({ ...edited, kind: 'amqp' }, w, true), []);
  });

  test('AMQP and Redis: "No password" removes the one that is set, as NATS "None" does', () => {
    for (const kind of ['amqp', 'redis-stream'] as const) {
      const w = {
        url: kind === 'amqp' ? 'amqp://herald@rabbit:5672/prod' : 'redis://herald@redis:6379/0',
        destination: kind === 'amqp'
          ? { kind, url: 'amqp://herald@rabbit:5672/prod', exchange: 'events', routing_key: 'herald.{event_type}', persistent: true, mandatory: true, secrets_set: ['password'] }
          : { kind, url: 'redis://herald@redis:6379/0', stream: 'herald:{event_type}', secrets_set: ['password'] },
      } as Pick<Webhook, 'url' | 'destination'>;
      const initial = draftFrom(w);
      const part = kind === 'amqp' ? 'amqp' : 'redis';
      // Changed settings ask for the password again, or for "No password".
      const changed = { ...initial, [part]: { ...initial[part], url: w.url.replace('herald@', 'ops@') } };
      const retype = secretsToRetype(changed, w, true);
      assert.deepEqual(retype, ['password'], kind);
      assert.match(checkDestination(changed, retype).password?.[0] ?? '', /Or tick No password/);
      // "No password" alone is a change; nothing is asked again, and none is sent.
      const none = { ...initial, [part]: { ...initial[part], noPassword: true } };
      assert.equal(destinationChanged(none, initial), true, kind);
      assert.equal(removesPassword(none), true);
      assert.deepEqual(secretsToRetype(none, w, true), []);
      assert.deepEqual(checkDestination(none, []), {});
      const parsed = serverCheck(destinationInput(none));
      assert.ok(!('problems' in parsed), JSON.stringify(parsed));
      assert.deepEqual(parsed.secrets, {}, `${kind}: the server is sent no password`);
      // A password in the address contradicts it.
      const contradicted = { ...none, [part]: { ...none[part], url: w.url.replace('herald@', 'herald:s3cret@') } };
      assert.match(checkDestination(contradicted, []).url?.[0] ?? '', /carries a password/);
    }
  });
});
