import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HeraldError } from '../errors.js';
import { randomToken } from '../ids.js';
import type { ApiKey, ApiScope } from '../model.js';
import { findApiKeyByHash } from '../store/queries/api-keys.js';
import { PORTAL_TOKEN_PREFIX, portalScopes, type PortalAccess, type PortalTokens } from './portal-token.js';
import type { SqlExecutor } from '../store/sql.js';

/**
 * Who is calling: an API key, or the holder of a portal link. `keyId` is recorded as the
 * actor of changes (`portal:<email>` for a portal link that names its user).
 */
export interface Principal {
  kind: 'api_key' | 'portal';
  keyId: string;
  scopes: ReadonlySet<ApiScope>;
  /** The one org the caller is limited to, or null for every org. */
  orgId: string | null;
  /** The one app a portal link is limited to, or null. */
  appId: string | null;
  access: PortalAccess | null;
  expiresAt: number | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** A new API key's text (192 random bits); only its SHA-256 is stored. */
export function newApiKeySecret(): string {
  return `hk_${randomToken(24)}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * Resolves Bearer keys to principals. Keys are stored as SHA-256 hashes (they carry 192
 * random bits, so a slow hash adds nothing); lookups are cached briefly so ingest at
 * thousands of requests per second does not read the key table each time.
 */
export class Authenticator {
  private readonly cache = new Map<string, { key: ApiKey | null; until: number }>();

  constructor(
    private readonly db: SqlExecutor,
    private readonly portal: PortalTokens,
    private readonly ttlMs = 5000,
  ) {}

  async principal(req: FastifyRequest): Promise<Principal> {
    const header = req.headers.authorization;
    const m = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new HeraldError('HERALD_UNAUTHORIZED');
    if (m[1]!.startsWith(PORTAL_TOKEN_PREFIX)) {
      const c = this.portal.verify(m[1]!);
      if (!c) throw new HeraldError('HERALD_PORTAL_LINK_INVALID');
      return {
        kind: 'portal', keyId: c.u ? `portal:${c.u}` : 'portal', scopes: new Set(portalScopes(c.x)),
        orgId: c.o, appId: c.a, access: c.x, expiresAt: c.e,
      };
    }
    const hash = hashApiKey(m[1]!);
    const now = Date.now();
    let hit = this.cache.get(hash);
    if (!hit || hit.until < now) {
      const key = (await findApiKeyByHash(this.db, hash)) ?? null;
      hit = { key, until: now + this.ttlMs };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(hash, hit);
    }
    if (!hit.key) throw new HeraldError('HERALD_UNAUTHORIZED');
    return { kind: 'api_key', keyId: hit.key.id, scopes: new Set(hit.key.scopes), orgId: hit.key.org_id, appId: null, access: null, expiresAt: null };
  }

  forget(): void {
    this.cache.clear();
  }
}

export function requireScope(p: Principal, scope: ApiScope): void {
  if (!p.scopes.has(scope)) throw new HeraldError('HERALD_FORBIDDEN_SCOPE', [scope]);
}

/** An org-limited key sees other orgs as not existing (404, not 403: nothing leaks). */
export function requireOrg(p: Principal, orgId: string): void {
  if (p.orgId !== null && p.orgId !== orgId) throw new HeraldError('HERALD_ORG_NOT_FOUND', [orgId]);
}

export function requireGlobal(p: Principal, scope: ApiScope): void {
  requireScope(p, scope);
  if (p.orgId !== null) throw new HeraldError('HERALD_FORBIDDEN_SCOPE', [`${scope} (on every org)`]);
}
