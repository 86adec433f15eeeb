import type { AppContext } from '../api/context.js';
import { requestHeaders } from '../engine/attempt-outcome.js';
import { HeraldError } from '../errors.js';
import { newId } from '../ids.js';
import type { AttemptErrorCode, OrgSettings } from '../model.js';
import type { ClientIdentity } from '../outbound/client-certificate.js';
import type { HttpSender, SendResult } from '../outbound/http-sender.js';
import type { Signer } from '../signing/index.js';
import { getOrg } from '../store/queries/orgs.js';
import { checkWebhookUrl, parseWebhookUrl } from './url-check.js';

/** Seed 000: "pinged to get validated with the read time out of 5 seconds"; the HEAD gets as long. */
export const VALIDATION_TIMEOUT_MS = 5_000;

/** Marks the validation request, so a receiver can tell it from a delivery. */
export const VALIDATION_HEADER = 'herald-url-validation';

/** The validation request carries an id and a time like a delivery, and no signature. */
const validationSigner: Signer = {
  headers: (msgId, timestampSec) => ({ 'webhook-id': msgId, 'webhook-timestamp': String(timestampSec), [VALIDATION_HEADER]: '1' }),
};

/** Seed 000's URL rules, when the org turned them on: https only, no port in the URL. */
export function checkUrlRules(url: URL, rules: OrgSettings['url_rules'], raw: string): void {
  if (rules?.https_only && url.protocol !== 'https:') {
    throw new HeraldError('HERALD_URL_NOT_ALLOWED', ['this org accepts https URLs only (url_rules.https_only)'], { url: raw, rule: 'https_only' });
  }
  // A default port (:443 on https) is dropped when the URL is parsed, so it is not "explicit".
  if (rules?.forbid_explicit_port && url.port !== '') {
    throw new HeraldError('HERALD_URL_NOT_ALLOWED', [`this org accepts no port in URLs (url_rules.forbid_explicit_port): remove :${url.port}`], { url: raw, rule: 'forbid_explicit_port' });
  }
}

/**
 * A POST answer that shows the endpoint exists and takes POSTs: any 2xx, or a 4xx in which the
 * receiver's own code turned the unsigned validation body down (400, 401, 403, 422…). 404, 405
 * and 410 say the URL is wrong; 3xx, 5xx and no answer are not "reached" either.
 */
function pingReached(r: SendResult): boolean {
  const s = r.status_code;
  if (s === null) return false;
  if (s >= 200 && s < 300) return true;
  return s >= 400 && s < 500 && s !== 404 && s !== 405 && s !== 410;
}

/** Failures a HEAD could not get past: the host itself cannot be reached. */
const HOST_UNREACHABLE: ReadonlySet<AttemptErrorCode> = new Set<AttemptErrorCode>(['dns', 'connect_refused', 'tls', 'blocked_address']);

function describe(method: 'POST' | 'HEAD', r: SendResult): string {
  if (r.status_code !== null) {
    const redirect = r.status_code >= 300 && r.status_code < 400 ? ', a redirect, which Herald does not follow' : '';
    return method === 'HEAD' ? `HEAD answered ${r.status_code}${redirect} (it must answer 200)` : `the validation POST was answered ${r.status_code}${redirect}`;
  }
  const why = r.error_message ?? 'unknown error';
  switch (r.error_code) {
    case 'timeout': return `the ${method} got no answer within ${VALIDATION_TIMEOUT_MS / 1000} s`;
    case 'dns': return `the host name does not resolve (${why})`;
    case 'connect_refused': return `the connection was refused (${why})`;
    case 'tls': return `the TLS handshake failed (${why})`;
    case 'blocked_address': return `the host resolves to a private or reserved address (${why})`;
    default: return `the ${method} failed (${why})`;
  }
}

const summary = (r: SendResult) => ({ status: r.status_code, error_code: r.error_code, error_message: r.error_message, duration_ms: r.duration_ms });

/**
 * Seed 000's check when a URL is saved: a POST of a small validation body (the method every
 * delivery uses) with a 5 s deadline; if it is not reached, a HEAD that must answer 200.
 * Both go through the sender, so the SSRF guard, trusted CAs and the webhook's client
 * certificate apply exactly as they will to deliveries. Nothing is logged as a delivery.
 * Throws HERALD_URL_UNREACHABLE with `reason` (dns, connect_refused, tls, timeout, status…).
 */
export async function validateUrlAnswers(sender: HttpSender, url: string, identity: ClientIdentity | null): Promise<void> {
  const now = Date.now();
  const body = JSON.stringify({ event: 'herald.url_validation', url, event_time: now });
  const headers = requestHeaders(validationSigner, newId('msg', now), Math.floor(now / 1000), body);
  const ping = await sender.request(url, { method: 'POST', headers, body, timeoutMs: VALIDATION_TIMEOUT_MS, identity });
  if (pingReached(ping)) return;
  if (ping.error_code !== null && HOST_UNREACHABLE.has(ping.error_code)) {
    throw new HeraldError('HERALD_URL_UNREACHABLE', [describe('POST', ping)], { url, reason: ping.error_code, ping: summary(ping) });
  }
  const { 'content-type': _type, ...headHeaders } = headers;
  const head = await sender.request(url, { method: 'HEAD', headers: headHeaders, timeoutMs: VALIDATION_TIMEOUT_MS, identity });
  if (head.status_code === 200) return;
  throw new HeraldError('HERALD_URL_UNREACHABLE', [`${describe('POST', ping)}, and ${describe('HEAD', head)}`], {
    url, reason: head.error_code ?? 'status', ping: summary(ping), head: summary(head),
  });
}

/**
 * Everything a URL passes when a webhook is saved with it, cheapest first: its form, the
 * org's url_rules, the address guard, then (unless the process or the org turned it off)
 * the validation request. Answers the URL as stored.
 */
export async function acceptWebhookUrl(ctx: AppContext, orgId: string, raw: string, identity: ClientIdentity | null): Promise<string> {
  const settings = (await getOrg(ctx.store.db, orgId))?.settings ?? {};
  checkUrlRules(parseWebhookUrl(raw), settings.url_rules, raw);
  const url = await checkWebhookUrl(raw, ctx.config.allowPrivateUrls, ctx.sender.resolve);
  if (ctx.config.validateUrls && settings.validate_urls !== false) await validateUrlAnswers(ctx.sender, url, identity);
  return url;
}
