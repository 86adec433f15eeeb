/**
 * The hosts a destination connects to, for the outbound address rule (docs/destinations.md):
 * like webhook URLs, broker hosts must be public unless the operator allows private
 * addresses. Read from the settings' URL fields, so a new kind with `url` or `servers` needs
 * nothing here.
 */
import { isPublicAddress, literalIp, type Resolver } from '../outbound/address-guard.js';
import type { DestinationSettings } from './types.js';

export function destinationHosts(settings: DestinationSettings): string[] {
  const s = settings as unknown as Record<string, unknown>;
  const urls: string[] = [];
  if (typeof s.url === 'string') urls.push(s.url);
  if (Array.isArray(s.servers)) for (const u of s.servers) if (typeof u === 'string') urls.push(u);
  const hosts = new Set<string>();
  for (const u of urls) {
    if (!URL.canParse(u)) continue;
    const h = new URL(u).hostname;
    hosts.add(h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h);
  }
  return [...hosts];
}

/**
 * Null when every host of the destination is public; else why not (a private or reserved
 * address, or a name that does not resolve: fails closed).
 */
export async function blockedHostProblem(settings: DestinationSettings, resolve: Resolver): Promise<string | null> {
  for (const host of destinationHosts(settings)) {
    const ip = literalIp(host);
    let addresses: string[];
    if (ip !== null) addresses = [ip];
    else {
      try {
        addresses = (await resolve(host)).map((a) => a.address);
      } catch {
        return `the host ${host} does not resolve`;
      }
    }
    const bad = addresses.find((a) => !isPublicAddress(a));
    if (bad !== undefined || addresses.length === 0) {
      return `${host} is a private or reserved address (${bad ?? 'none'}); an operator can allow such hosts for development with HERALD_ALLOW_PRIVATE_URLS=true`;
    }
  }
  return null;
}
