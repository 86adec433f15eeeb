import { createHmac, timingSafeEqual } from 'node:crypto';
import { randomToken } from '../ids.js';
import type { ApiScope } from '../model.js';

/** What a portal link lets its holder do: look, or also change the tenant's webhooks. */
export type PortalAccess = 'read' | 'manage';

/** The claims a portal token carries (short names keep the link short). */
export interface PortalClaims {
  /** org the holder is limited to */
  o: string;
  /** app the holder is limited to, or null for every app of the org */
  a: string | null;
  x: PortalAccess;
  /** expiry, ms since the epoch */
  e: number;
  /** the end user's email, recorded as the actor of their changes (for alert mail) */
  u: string | null;
  /** nonce: two links made in the same millisecond differ */
  n: string;
}

export const PORTAL_TOKEN_PREFIX = 'hpt_';

const READ_SCOPES: readonly ApiScope[] = ['orgs:read', 'apps:read', 'event_types:read', 'webhooks:read', 'keys:read', 'deliveries:read', 'events:read'];
const MANAGE_SCOPES: readonly ApiScope[] = [...READ_SCOPES, 'webhooks:write', 'webhooks:delete', 'keys:write', 'deliveries:write'];

/** The API scopes a portal token grants: never org, API-key, catalogue or ingest changes. */
export function portalScopes(access: PortalAccess): readonly ApiScope[] {
  return access === 'manage' ? MANAGE_SCOPES : READ_SCOPES;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/**
 * Signs and checks portal tokens: `hpt_<claims>.<HMAC-SHA256>`, stateless, keyed by a key
 * derived from the master key. Nothing is stored: a token is valid until it expires
 * (links are short-lived; the default is one hour, at most a day).
 */
export class PortalTokens {
  constructor(private readonly key: Buffer) {}

  issue(claims: Omit<PortalClaims, 'n'>): string {
    const body = b64url(JSON.stringify({ ...claims, n: randomToken(6) }));
    return `${PORTAL_TOKEN_PREFIX}${body}.${this.mac(body)}`;
  }

  /** The claims of a genuine, unexpired token; null for anything else. */
  verify(token: string, now = Date.now()): PortalClaims | null {
    if (!token.startsWith(PORTAL_TOKEN_PREFIX)) return null;
    const [body, mac, extra] = token.slice(PORTAL_TOKEN_PREFIX.length).split('.');
    if (!body || !mac || extra !== undefined) return null;
    const want = Buffer.from(this.mac(body));
    const got = Buffer.from(mac);
    if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
    let claims: PortalClaims;
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as PortalClaims;
    } catch {
      return null;
    }
    if (typeof claims.e !== 'number' || claims.e <= now || typeof claims.o !== 'string') return null;
    if (claims.x !== 'read' && claims.x !== 'manage') return null;
    return claims;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
