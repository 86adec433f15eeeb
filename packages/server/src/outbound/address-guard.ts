import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress, LookupOptions } from 'node:dns';
import ipaddr from 'ipaddr.js';

/**
 * True for an address a webhook may reach: public unicast only. IPv4 addresses hidden in
 * IPv6 forms (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo)
 * are unwrapped and judged as IPv4, since naive filters let them through.
 */
export function isPublicAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    const embedded = embeddedIPv4(v6);
    if (embedded) addr = embedded;
  }
  return addr.range() === 'unicast';
}

function embeddedIPv4(v6: ipaddr.IPv6): ipaddr.IPv4 | null {
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  const b = v6.toByteArray();
  const range = v6.range();
  if (range === 'rfc6052' || range === 'rfc6145') return ipaddr.fromByteArray(b.slice(12)) as ipaddr.IPv4;
  if (range === '6to4') return ipaddr.fromByteArray(b.slice(2, 6)) as ipaddr.IPv4;
  if (range === 'teredo') return ipaddr.fromByteArray(b.slice(12).map((x) => x ^ 0xff)) as ipaddr.IPv4;
  // IPv4-compatible (deprecated ::a.b.c.d): twelve zero bytes then the IPv4 address.
  if (b.slice(0, 12).every((x) => x === 0) && !(b[12] === 0 && b[13] === 0 && b[14] === 0)) {
    return ipaddr.fromByteArray(b.slice(12)) as ipaddr.IPv4;
  }
  return null;
}

export class BlockedAddressError extends Error {
  readonly code = 'HERALD_BLOCKED_ADDRESS';
  constructor(readonly address: string, host: string) {
    super(`${host} resolves to ${address}, a private or reserved address (set HERALD_ALLOW_PRIVATE_URLS=true for development)`);
  }
}

/** The literal IP of a URL host ([::1] → ::1), or null for a name. */
export function literalIp(hostname: string): string | null {
  const h = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(h) ? h : null;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** Answers every address a host name resolves to; rejects with a dns error code (ENOTFOUND, EAI_AGAIN…). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

/** The operating system's resolver (getaddrinfo: /etc/hosts, then DNS). */
export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true });

/**
 * A dns.lookup for the socket itself: every address a name resolves to must be public, checked
 * at connect time on the very list the socket then dials (one resolution, no second look-up
 * between check and connect), so a name that changes its answer (DNS rebinding) is caught here.
 * Fails closed: a resolver error or an empty answer never connects.
 */
export function guardedLookupWith(resolve: Resolver) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname).then(
      (answer) => {
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const list = family === 0 ? answer : answer.filter((a) => a.family === family);
        const bad = list.find((a) => !isPublicAddress(a.address));
        if (bad || list.length === 0) {
          return callback(new BlockedAddressError(bad?.address ?? 'nothing', hostname) as unknown as NodeJS.ErrnoException, []);
        }
        if (options.all) return callback(null, list);
        callback(null, list[0]!.address, list[0]!.family);
      },
      (err: unknown) => callback(dnsFailure(hostname, err), []),
    );
  };
}

const DNS_CODE = /^(ENOTFOUND|ENODATA|ESERVFAIL|ETIMEOUT|EREFUSED|EAI_\w+)$/;

/** True for the codes of a failed name resolution. */
export const isDnsErrorCode = (code: string): boolean => DNS_CODE.test(code);

/** Any resolver failure, whatever it threw, becomes a DNS error: never a reason to connect elsewhere. */
function dnsFailure(hostname: string, err: unknown): NodeJS.ErrnoException {
  const cause = err as { code?: unknown; message?: unknown };
  const code = typeof cause.code === 'string' && isDnsErrorCode(cause.code) ? cause.code : 'ENOTFOUND';
  const e: NodeJS.ErrnoException = new Error(`${hostname} does not resolve (${typeof cause.message === 'string' ? cause.message : code})`);
  e.code = code;
  return e;
}

/** The guarded lookup over the system resolver. */
export const guardedLookup = guardedLookupWith(systemResolver);
