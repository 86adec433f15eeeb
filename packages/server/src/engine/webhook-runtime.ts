import type { SecretBox } from '../crypto/secret-box.js';
import type { DeliveryPolicy, PayloadMode, Webhook } from '../model.js';
import { clientIdentity, type ClientCertificateMaterial, type ClientIdentity } from '../outbound/client-certificate.js';
import { isPresetName } from '../policy/presets.js';
import { resolvePolicy, type PolicyOverrides } from '../policy/resolve.js';
import { getWebhooksByIds, listKeys } from '../store/queries/webhooks.js';
import type { SqlExecutor } from '../store/sql.js';
import { createSigner, type KeyMaterial, type Signer } from '../signing/index.js';
import type { BrokerTarget, DestinationPool } from './destination-pool.js';

/** What a worker needs to send for one webhook, built once per webhook revision. */
export interface WebhookRuntime {
  id: string;
  revision: number;
  url: string;
  policy: DeliveryPolicy;
  signer: Signer;
  payloadMode: PayloadMode;
  testFlag: string;
  /** The client certificate every attempt presents (mutual TLS), or null. */
  identity: ClientIdentity | null;
  /** Null: an HTTP POST to `url` (the hot path); else the broker destination it publishes to. */
  broker: BrokerTarget | null;
}

/** Opens a webhook's sealed keys (the webhook id is the associated data). */
export function openKeys(box: SecretBox, webhookId: string, sealed: readonly string[]): KeyMaterial[] {
  return sealed.map((s) => JSON.parse(box.open(s, webhookId)) as KeyMaterial);
}

/** Opens a webhook's sealed client certificate (the webhook id is the associated data), if it has one. */
export function openClientIdentity(box: SecretBox, w: Pick<Webhook, 'id' | 'client_certificate'>): ClientIdentity | null {
  const sealed = w.client_certificate?.sealed;
  if (!sealed) return null;
  return clientIdentity(w.id, sealed, JSON.parse(box.open(sealed, w.id)) as ClientCertificateMaterial);
}

/** An unsecured webhook still gets the delivery id and time, so receivers can drop duplicates. */
const unsignedSigner: Signer = {
  headers: (msgId, timestampSec) => ({ 'webhook-id': msgId, 'webhook-timestamp': String(timestampSec) }),
};

export function buildRuntime(w: Webhook, keys: KeyMaterial[], identity: ClientIdentity | null = null, destinations: DestinationPool | null = null): WebhookRuntime {
  const broker = destinations?.target(w) ?? null;
  if (broker === null && w.destination && w.destination.settings.kind !== 'poll') throw new Error(`webhook ${w.id} has a ${w.destination.settings.kind} destination and no destination pool to publish with`);
  const preset = isPresetName(w.preset) ? w.preset : 'standard';
  return {
    id: w.id,
    revision: w.revision,
    url: w.url,
    policy: resolvePolicy(preset, w.policy as PolicyOverrides),
    signer: w.signature.secured === false ? unsignedSigner : createSigner(w.signature.scheme, keys, w.signature.header),
    payloadMode: w.payload_mode,
    testFlag: preset === 'dialog-insight' ? 'isTest' : 'is_test',
    identity,
    broker,
  };
}

/**
 * Per-process cache of webhook runtimes, keyed by id and checked against the revision each
 * claim returns: a changed webhook (or a new key) is reloaded, an unchanged one costs nothing.
 */
export class WebhookRuntimeCache {
  private readonly cache = new Map<string, WebhookRuntime>();

  constructor(
    private readonly db: SqlExecutor,
    private readonly box: SecretBox,
    private readonly onBroken: (webhookId: string, err: unknown) => void = () => undefined,
    private readonly destinations: DestinationPool | null = null,
  ) {}

  /** Ensures runtimes at the given revisions; answers the ones it could build. */
  async load(wanted: ReadonlyMap<string, number>): Promise<Map<string, WebhookRuntime>> {
    const out = new Map<string, WebhookRuntime>();
    const missing: string[] = [];
    for (const [id, revision] of wanted) {
      const hit = this.cache.get(id);
      if (hit && hit.revision === revision) out.set(id, hit);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const hooks = await getWebhooksByIds(this.db, missing);
      const keys = await listKeys(this.db, missing);
      for (const w of hooks) {
        const sealed = keys.filter((k) => k.webhook_id === w.id).map((k) => k.sealed);
        try {
          const runtime = buildRuntime(w, openKeys(this.box, w.id, sealed), openClientIdentity(this.box, w), this.destinations);
          this.cache.set(w.id, runtime);
          out.set(w.id, runtime);
        } catch (err) {
          // One webhook with unusable keys or certificate (e.g. a master key that changed) must not stall the others.
          this.onBroken(w.id, err);
        }
      }
    }
    return out;
  }

  clear(): void {
    this.cache.clear();
  }
}
