import type { UrlRules } from '../../api/types';

export interface UrlVerdict {
  /** Reasons Herald would refuse the URL: saving is blocked. */
  errors: string[];
  /** Allowed, but worth knowing. */
  warnings: string[];
}

/**
 * The URL checks a browser can make while the user types: the same rules the server applies
 * when saving (absolute http(s) URL, no credentials, the org's url_rules), plus seed 000's
 * advice. Reachability and private addresses are checked by the server on save.
 */
export function checkUrl(raw: string, rules: UrlRules | undefined): UrlVerdict {
  const errors: string[] = [];
  const warnings: string[] = [];
  const text = raw.trim();
  if (text === '') return { errors: ['Enter the URL that will receive the webhooks.'], warnings };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { errors: ['This is not a full URL: it must start with https:// (or http://) and name a host.'], warnings };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    errors.push(`Only http and https URLs can receive webhooks, not ${url.protocol.replace(':', '')}.`);
  }
  if (url.username || url.password) errors.push('Remove the user name and password from the URL: requests are authenticated by their signature.');
  if (!url.hostname) errors.push('The URL names no host.');
  if (url.protocol === 'http:') {
    if (rules?.https_only) errors.push('This org accepts https URLs only.');
    else warnings.push('Plain http is not encrypted: https is recommended.');
  }
  if (url.port !== '') {
    if (rules?.forbid_explicit_port) errors.push(`This org does not allow a port number in the URL (:${url.port}).`);
    else warnings.push(`The URL names port ${url.port}; some receivers' firewalls only open 443.`);
  }
  if (url.hash) warnings.push('The #fragment is never sent to the server.');
  return { errors, warnings };
}
