import { HeraldError } from '../errors.js';
import { isPublicAddress, literalIp, systemResolver, type Resolver } from '../outbound/address-guard.js';

/** A webhook URL's form: absolute, http(s), no credentials. */
export function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new HeraldError('HERALD_URL_INVALID', ['it is not an absolute URL'], { url: raw });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new HeraldError('HERALD_URL_INVALID', ['only http and https URLs can receive webhooks'], { url: raw });
  }
  if (url.username || url.password) {
    throw new HeraldError('HERALD_URL_INVALID', ['credentials in the URL are not allowed; use the signature to authenticate'], { url: raw });
  }
  return url;
}

/**
 * Checks a webhook URL when it is saved: its form, and (unless private URLs are allowed) a
 * host that is and resolves only to public addresses. Fails closed when the name does not
 * resolve. The same check runs again at connect time on the address actually dialled.
 */
export async function checkWebhookUrl(raw: string, allowPrivate: boolean, resolve: Resolver = systemResolver): Promise<string> {
  const url = parseWebhookUrl(raw);
  if (!allowPrivate) {
    const ip = literalIp(url.hostname);
    let addresses: string[];
    if (ip !== null) addresses = [ip];
    else {
      try {
        addresses = (await resolve(url.hostname)).map((a) => a.address);
      } catch {
        throw new HeraldError('HERALD_URL_INVALID', [`the host ${url.hostname} does not resolve`], { url: raw, reason: 'dns' });
      }
    }
    const bad = addresses.find((a) => !isPublicAddress(a));
    if (bad !== undefined || addresses.length === 0) {
      throw new HeraldError('HERALD_URL_INVALID', [`${url.hostname} is a private or reserved address (${bad ?? 'none'}); an operator can allow such URLs for development with HERALD_ALLOW_PRIVATE_URLS=true`], { url: raw, reason: 'blocked_address' });
    }
  }
  return url.toString();
}
