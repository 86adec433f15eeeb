import type { AppContext } from '../api/context.js';
import { problemsAt } from '../api/problems.js';
import type { WebhookCreateBody, WebhookPatchBody } from '../api/schemas.js';
import { HeraldError } from '../errors.js';
import { newId } from '../ids.js';
import type { SignatureConfig, StoredDestination, Webhook, WebhookKey } from '../model.js';
import type { ClientIdentity } from '../outbound/client-certificate.js';
import { PRESETS, type PresetName } from '../policy/presets.js';
import { compileFilter, FilterError } from '../policy/filter.js';
import { checkOverrides, type PolicyOverrides } from '../policy/resolve.js';
import { getOrg } from '../store/queries/orgs.js';
import { releaseFifo } from '../store/queries/fifo.js';
import * as q from '../store/queries/webhooks.js';
import type { SqlExecutor } from '../store/sql.js';
import { createSigner, generateKeyMaterial, MAX_KEYS_PER_WEBHOOK, publicView, SigningError, type KeyMaterial, type SignatureScheme } from '../signing/index.js';

// One RSA key made lazily for checking header names: generating one per save would cost ~100 ms.
let rsaProbe: KeyMaterial | null = null;
const RSA_PROBE_GET = (): KeyMaterial => (rsaProbe ??= generateKeyMaterial('rsa-sha256'));
import { applyDeliveryMode, firstDigestAt, parseDelivery } from './digests.js';
import { openClientIdentity } from '../engine/webhook-runtime.js';
import { prepareClientCertificate } from './client-certificates.js';
import { checkWebhookUrl } from './url-check.js';
import { acceptWebhookUrl } from './url-validation.js';
import { setPull } from '../store/queries/pull.js';
import { isBrokerInput, prepareBrokerDestination, refuseUrlForBroker, refuseUrlWithBroker } from './webhook-destination.js';

/** Schemes that put every live key's signature in the request, so all keys are "in use". */
const MULTI_SIGNATURE: ReadonlySet<SignatureScheme> = new Set<SignatureScheme>(['standard', 'hmac-timestamp']);

export function keysInUse(scheme: SignatureScheme, keys: readonly WebhookKey[]): boolean[] {
  return keys.map((_, i) => i === 0 || MULTI_SIGNATURE.has(scheme));
}

function signatureFor(preset: PresetName, input: { scheme?: SignatureScheme; header?: string } | undefined, secured: boolean | undefined): SignatureConfig {
  const base = PRESETS[preset].signature;
  const sig: SignatureConfig = { scheme: input?.scheme ?? base.scheme };
  const header = input?.header ?? (input?.scheme && input.scheme !== base.scheme ? undefined : base.header);
  if (header) sig.header = header;
  if (secured === false) sig.secured = false;
  return sig;
}

/** A rule is parsed when saved, so a bad one is refused with where it goes wrong. */
function checkFilter(filter: string | null | undefined): string | null {
  if (filter === undefined || filter === null) return null;
  try {
    compileFilter(filter);
  } catch (err) {
    if (err instanceof FilterError) {
      throw new HeraldError('HERALD_FILTER_INVALID', [err.position, err.message], { position: err.position, filter });
    }
    throw err;
  }
  return filter;
}

function checkPolicy(policy: PolicyOverrides | undefined | null): void {
  const problems = policy ? checkOverrides(policy) : [];
  if (problems.length > 0) throw new HeraldError('HERALD_BAD_REQUEST', [problems.join('; ')], { part: 'body', problems: problemsAt('/policy', problems) });
}

/** Refuses signature settings the signer would reject (e.g. a custom header on the standard scheme). */
function checkSignature(sig: SignatureConfig): void {
  try {
    createSigner(sig.scheme, [sig.scheme === 'rsa-sha256' ? RSA_PROBE_GET() : generateKeyMaterial(sig.scheme)], sig.header);
  } catch (err) {
    if (err instanceof SigningError) throw new HeraldError('HERALD_SIGNATURE_INVALID', [err.message], { signing_code: err.code });
    throw err;
  }
}

async function newKey(ctx: AppContext, webhookId: string, scheme: SignatureScheme, now: number) {
  const material = generateKeyMaterial(scheme);
  const key: WebhookKey = {
    id: newId('key', now),
    webhook_id: webhookId,
    sealed: ctx.box.seal(JSON.stringify(material), webhookId),
    public_view: publicView(material, { includeSecret: false }) as Record<string, string>,
    created_at: now,
  };
  const secret = publicView(material, { includeSecret: true }).secret;
  return { key, secret };
}

export async function createWebhook(ctx: AppContext, orgId: string, body: WebhookCreateBody, actor: string) {
  const url = body.url ?? body.webhook?.url;
  const broker = isBrokerInput(body.destination) ? body.destination : undefined;
  if (broker) refuseUrlWithBroker(url);
  else if (!url) throw new HeraldError('HERALD_BAD_REQUEST', ['url is required (or webhook.url)']);
  if (body.url && body.webhook) throw new HeraldError('HERALD_BAD_REQUEST', ['send url or webhook.url, not both']);
  const preset: PresetName = body.preset ?? 'standard';
  checkPolicy(body.policy);
  const delivery = parseDelivery(body.delivery ?? { mode: 'immediate' });
  const now = Date.now();
  const id = newId('wh', now);
  // The certificate first: the URL validation request presents it, as deliveries will.
  const cert = body.client_certificate ? prepareClientCertificate(ctx.box, id, body.client_certificate) : null;
  const prepared = broker ? await prepareBrokerDestination(ctx, id, broker) : null;
  // A broker has no URL to validate: its settings and hosts were checked instead.
  const checkedUrl = prepared ? prepared.url : await acceptWebhookUrl(ctx, orgId, url ?? '', cert?.identity ?? null);
  const secured = body.secured ?? body.webhook?.secured;
  const w: Webhook = {
    id, org_id: orgId, url: checkedUrl, description: body.description ?? '', events: body.events ?? ['*'],
    apps: body.apps ?? null, state: body.published === false ? 'draft' : 'enabled', state_reason: null, preset,
    signature: signatureFor(preset, body.signature, secured), policy: (body.policy ?? {}) as Record<string, unknown>,
    filter: checkFilter(body.filter), payload_mode: body.payload ?? PRESETS[preset].payload_mode,
    delivery, next_digest_at: firstDigestAt(delivery, now, ctx.config.clockScale), alert_emails: body.alert_emails ?? [],
    metadata: body.metadata ?? {}, client_certificate: cert?.stored ?? null, destination: prepared?.stored ?? null,
    created_by: actor, modified_by: actor, revision: 1, created_at: now, updated_at: now,
    last_triggered_at: null, last_success_at: null, last_failure_at: null, consecutive_failures: 0, failures_total: 0, successes_total: 0,
  };
  checkSignature(w.signature);
  const { key, secret } = await newKey(ctx, id, w.signature.scheme, now);
  await ctx.store.db.transaction(async (tx) => {
    const org = await getOrg(tx, orgId);
    if (!org) throw new HeraldError('HERALD_ORG_NOT_FOUND', [orgId]);
    const max = org.settings.max_webhooks;
    // Seed 002 limits admin (salesiq) webhooks only; an org chooses which webhooks count.
    const countsOnly = org.settings.max_webhooks_counts === 'salesiq' ? 'salesiq' : undefined;
    if (max !== undefined && max !== null && (countsOnly === undefined || preset === countsOnly)
      && (await q.countWebhooks(tx, orgId, countsOnly)) >= max) {
      throw new HeraldError('HERALD_WEBHOOK_QUOTA', [max]);
    }
    await q.insertWebhook(tx, w);
    await q.insertKey(tx, key);
  });
  // Schedulers of every process re-read the earliest period end when woken.
  if (w.next_digest_at !== null) ctx.store.notifier.notify();
  return { webhook: w, key, secret };
}

export async function loadWebhook(db: SqlExecutor, orgId: string, id: string): Promise<Webhook> {
  const w = await q.getWebhook(db, orgId, id);
  if (!w) throw new HeraldError('HERALD_WEBHOOK_NOT_FOUND', [id]);
  return w;
}

export async function patchWebhook(ctx: AppContext, orgId: string, id: string, body: WebhookPatchBody, actor: string): Promise<Webhook> {
  checkPolicy(body.policy);
  const delivery = body.delivery === undefined ? undefined : parseDelivery(body.delivery);
  const cert = body.client_certificate ? prepareClientCertificate(ctx.box, id, body.client_certificate) : body.client_certificate;
  const dest = await changedDestination(ctx, orgId, id, body);
  const url = dest.action === 'set' && dest.url !== undefined ? dest.url
    : body.url === undefined || (dest.action === 'keep' && dest.urlIgnored) ? undefined
      : await checkChangedUrl(ctx, orgId, id, body.url, cert === undefined ? undefined : cert?.identity ?? null);
  const saved = await ctx.store.db.transaction(async (tx) => {
    const w = await loadWebhook(tx, orgId, id);
    const keys = await q.listKeys(tx, [id]);
    const preset = body.preset ?? (w.preset as PresetName);
    const next: Webhook = { ...w, modified_by: actor, updated_at: Date.now() };
    if (url !== undefined) next.url = url;
    if (dest.action === 'set') next.destination = dest.stored;
    if (body.description !== undefined) next.description = body.description;
    if (body.events !== undefined) next.events = body.events;
    if (body.apps !== undefined) next.apps = body.apps;
    if (body.alert_emails !== undefined) next.alert_emails = body.alert_emails;
    if (body.metadata !== undefined) next.metadata = body.metadata;
    if (cert !== undefined) next.client_certificate = cert?.stored ?? null;
    if (body.payload !== undefined) next.payload_mode = body.payload;
    if (body.filter !== undefined) next.filter = checkFilter(body.filter);
    if (body.policy !== undefined) next.policy = (body.policy ?? {}) as Record<string, unknown>;
    if (body.preset !== undefined || body.signature !== undefined || body.secured !== undefined) {
      next.preset = preset;
      const secured = body.secured ?? w.signature.secured;
      next.signature = body.signature || body.preset
        ? signatureFor(preset, body.signature, secured)
        : { ...w.signature, ...(secured === false ? { secured: false } : {}) };
      if (body.secured === true) delete next.signature.secured;
      checkSignature(next.signature);
      if (next.signature.scheme !== w.signature.scheme) {
        // A new scheme needs keys of its kind: replace them (the new key is answered once).
        for (const k of keys) await q.deleteKey(tx, id, k.id);
        const { key } = await newKey(ctx, id, next.signature.scheme, next.updated_at);
        await q.insertKey(tx, key);
      }
    }
    if (body.published === true && w.state === 'draft') next.state = 'enabled';
    if (body.published === false) next.state = 'draft';
    if (body.state !== undefined) {
      if (w.state === 'draft' && body.published !== true) {
        throw new HeraldError('HERALD_BAD_REQUEST', ['a draft webhook is published with "published": true before its state can change']);
      }
      next.state = body.state;
      next.state_reason = null;
      if (body.state === 'enabled') next.consecutive_failures = 0;
    }
    // Pending-work rows before the webhook's row, in the order a worker's completion takes them
    // (queries/webhooks.ts deleteWebhook says why: the other order can deadlock on PostgreSQL).
    // Became a poll webhook, or stopped being one: its unfinished deliveries change queue.
    const pull = next.destination?.settings.kind === 'poll';
    if ((w.destination?.settings.kind === 'poll') !== pull) await setPull(tx, id, pull);
    // No longer fifo: its waiting deliveries become ordinary and due now.
    if (w.policy.ordering === 'fifo' && next.policy.ordering !== 'fifo') await releaseFifo(tx, id, next.updated_at);
    await q.updateWebhook(tx, next);
    // Enabled again: its failure count starts afresh (the hot path only adds to it).
    if (body.state === 'enabled') await q.resetFailureCount(tx, id);
    if (delivery !== undefined) {
      const applied = await applyDeliveryMode(tx, w, delivery, next.updated_at, ctx.config.clockScale);
      next.delivery = delivery;
      next.next_digest_at = applied.next_digest_at;
    }
    return { ...next, revision: w.revision + 1 };
  });
  // Wakes workers for released members (or deliveries back from a poll queue) and schedulers for a new period end.
  if (delivery !== undefined || dest.action === 'set') ctx.store.notifier.notify();
  return saved;
}

/**
 * What a PATCH does to the destination: `set` a prepared broker (replacing the whole
 * destination, credentials included) or http (`stored: null`: a broker webhook turned into an
 * http one, which then needs a url); or `keep` it, where a broker webhook takes no new url.
 */
type DestinationChange = { action: 'keep'; urlIgnored: boolean } | { action: 'set'; url?: string; stored: StoredDestination | null };

async function changedDestination(ctx: AppContext, orgId: string, id: string, body: WebhookPatchBody): Promise<DestinationChange> {
  if (body.destination === undefined && body.url === undefined) return { action: 'keep', urlIgnored: false };
  const current = await loadWebhook(ctx.store.db, orgId, id);
  if (isBrokerInput(body.destination)) {
    refuseUrlWithBroker(body.url);
    return { action: 'set', ...(await prepareBrokerDestination(ctx, id, body.destination)) };
  }
  if (body.destination !== undefined && current.destination) {
    if (body.url === undefined) {
      throw new HeraldError('HERALD_DESTINATION_INVALID', ['an http destination needs url'], { problems: ['url is required with destination {"kind":"http"}'] });
    }
    return { action: 'set', stored: null };
  }
  refuseUrlForBroker(current, body.url);
  // A broker webhook's url may only be sent back as it is shown: nothing to check or change.
  return { action: 'keep', urlIgnored: Boolean(current.destination) };
}

/**
 * A URL sent in a PATCH: an unchanged one is only checked against the address rules again; a
 * new one passes what a new webhook's does (url_rules, validation request), presenting the
 * client certificate the webhook will have (the one in this PATCH, else the stored one).
 */
async function checkChangedUrl(ctx: AppContext, orgId: string, id: string, raw: string, identity: ClientIdentity | null | undefined): Promise<string> {
  const current = await loadWebhook(ctx.store.db, orgId, id);
  const same = URL.canParse(raw) && new URL(raw).toString() === current.url;
  if (same) return checkWebhookUrl(raw, ctx.config.allowPrivateUrls, ctx.sender.resolve);
  return acceptWebhookUrl(ctx, orgId, raw, identity !== undefined ? identity : openClientIdentity(ctx.box, current));
}

export async function deleteWebhook(ctx: AppContext, orgId: string, id: string): Promise<void> {
  const deleted = await ctx.store.db.transaction((tx) => q.deleteWebhook(tx, orgId, id, Date.now()));
  if (!deleted) throw new HeraldError('HERALD_WEBHOOK_NOT_FOUND', [id]);
}

export async function addKey(ctx: AppContext, orgId: string, id: string) {
  return ctx.store.db.transaction(async (tx) => {
    const w = await loadWebhook(tx, orgId, id);
    const keys = await q.listKeys(tx, [id]);
    if (keys.length >= MAX_KEYS_PER_WEBHOOK) throw new HeraldError('HERALD_KEY_LIMIT', [MAX_KEYS_PER_WEBHOOK]);
    const now = Math.max(Date.now(), ...keys.map((k) => k.created_at + 1));
    const { key, secret } = await newKey(ctx, id, w.signature.scheme, now);
    await q.insertKey(tx, key);
    await q.bumpRevision(tx, id, now);
    const inUse = keysInUse(w.signature.scheme, [...keys, key]).at(-1) ?? false;
    return { key, secret, inUse };
  });
}

export async function removeKey(ctx: AppContext, orgId: string, id: string, keyId: string): Promise<void> {
  await ctx.store.db.transaction(async (tx) => {
    await loadWebhook(tx, orgId, id);
    const keys = await q.listKeys(tx, [id]);
    if (!keys.some((k) => k.id === keyId)) throw new HeraldError('HERALD_KEY_NOT_FOUND', [keyId]);
    if (keys.length <= 1) throw new HeraldError('HERALD_KEY_LAST');
    await q.deleteKey(tx, id, keyId);
    await q.bumpRevision(tx, id, Date.now());
  });
}
