import { HeraldError } from '../errors.js';
import type { Org } from '../model.js';
import { getOrg } from '../store/queries/orgs.js';
import type { SqlExecutor } from '../store/sql.js';

/** Org lookups for the hot ingest path, cached briefly (orgs change rarely). */
export class OrgCache {
  private readonly cache = new Map<string, { org: Org | null; until: number }>();

  constructor(
    private readonly db: SqlExecutor,
    private readonly ttlMs = 5000,
  ) {}

  async require(id: string): Promise<Org> {
    const now = Date.now();
    let hit = this.cache.get(id);
    if (!hit || hit.until < now || !hit.org) {
      hit = { org: (await getOrg(this.db, id)) ?? null, until: now + this.ttlMs };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(id, hit);
    }
    if (!hit.org) throw new HeraldError('HERALD_ORG_NOT_FOUND', [id]);
    return hit.org;
  }

  forget(id: string): void {
    this.cache.delete(id);
  }
}
