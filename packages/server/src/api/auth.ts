import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HeraldError } from '../errors.js';
import { randomToken } from '../ids.js';
import type { ApiKey, ApiScope } from '../model.js';
import { findApiKeyByHash } from '../store/queries/api-keys.js';
import type { SqlExecutor } from '../store/sql.js';

/** Who is calling: the API key, its scopes, and the one org it is limited to (or none). */
export interface Principal {
  keyId: string;
  scopes: ReadonlySet<ApiScope>;
  orgId: string | null;
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
    private readonly ttlMs = 5000,
  ) {}

  async principal(req: FastifyRequest): Promise<Principal> {
    const header = req.headers.authorization;
    const m = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new HeraldError('HERALD_UNAUTHORIZED');
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
    return { keyId: hit.key.id, scopes: new Set(hit.key.scopes), orgId: hit.key.org_id };
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
