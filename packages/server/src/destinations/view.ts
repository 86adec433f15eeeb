/**
 * A webhook's destination as the API shows it: the settings (never a credential) and which
 * secret fields are set, or `{kind: "http"}` for a webhook that POSTs to its `url`.
 */
import { Type } from '@sinclair/typebox';
import { DESTINATION_SECRET_FIELDS } from './settings.js';
import type { DestinationSecrets, DestinationSettings } from './types.js';

export interface DestinationStoredView {
  settings: DestinationSettings;
  secrets_set: readonly (keyof DestinationSecrets)[];
}

export type DestinationView = { kind: 'http' } | (DestinationSettings & { secrets_set: string[] });

export function destinationView(stored: DestinationStoredView | null | undefined): DestinationView {
  if (!stored) return { kind: 'http' };
  return { ...stored.settings, secrets_set: [...stored.secrets_set] };
}

/** Which secret fields a set of secrets fills, in the kind's order. */
export function secretsSet(settings: DestinationSettings, secrets: DestinationSecrets): (keyof DestinationSecrets)[] {
  return DESTINATION_SECRET_FIELDS[settings.kind].filter((f) => secrets[f] !== undefined && secrets[f] !== '');
}

const closed = <T extends Parameters<typeof Type.Object>[0]>(props: T) => Type.Object(props, { additionalProperties: false });
const SecretsSet = Type.Array(Type.String(), { description: 'secret fields that are set (stored sealed, never shown)' });

/** The response schema of destinationView (closed objects, checked by the OpenAPI conformance test). */
export const DestinationViewSchema = Type.Union([
  closed({ kind: Type.Literal('http') }),
  closed({
    kind: Type.Literal('amqp'), url: Type.String(), exchange: Type.String(), routing_key: Type.String(),
    persistent: Type.Boolean(), mandatory: Type.Boolean(), secrets_set: SecretsSet,
  }),
  closed({ kind: Type.Literal('nats'), servers: Type.Array(Type.String()), subject: Type.String(), user: Type.Optional(Type.String()), secrets_set: SecretsSet }),
  closed({ kind: Type.Literal('redis-stream'), url: Type.String(), stream: Type.String(), maxlen: Type.Optional(Type.Integer()), secrets_set: SecretsSet }),
  closed({ kind: Type.Literal('poll'), secrets_set: SecretsSet }),
], { description: 'where deliveries go: http (a POST to url), a broker, or poll (the consumer leases them); credentials are never shown (docs/destinations.md)' });
