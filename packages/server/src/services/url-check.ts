import { lookup } from 'node:dns/promises';
import { HeraldError } from '../errors.js';
import { isPublicAddress, literalIp } from '../outbound/address-guard.js';

/**
 * Checks a webhook URL when it is saved: http(s), no credentials, and (unless private URLs
 * are allowed) a host that is and resolves only to public addresses. The same check runs
 * again at connect time on the address actually dialled.
 */
export async function checkWebhookUrl(raw: string, allowPrivate: boolean): Promise<string> {
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
  if (!allowPrivate) {
    const ip = literalIp(url.hostname);
    let addresses: string[];
    if (ip !== null) addresses = [ip];
    else {
      try {
        addresses = (await lookup(url.hostname, { all: true })).map((a) => a.address);
      } catch {
        throw new HeraldError('HERALD_URL_INVALID', [`the host ${url.hostname} does not resolve`], { url: raw });
      }
    }
    const bad = addresses.find((a) => !isPublicAddress(a));
    if (bad !== undefined || addresses.length === 0) {
      throw new HeraldError('HERALD_URL_INVALID', [`${url.hostname} is a private or reserved address (${bad ?? 'none'})`], { url: raw });
    }
  }
  return url.toString();
}
