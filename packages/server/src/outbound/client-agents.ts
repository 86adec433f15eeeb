import { Agent } from 'undici';
import type { ClientIdentity } from './client-certificate.js';

/** An unused pool is closed after this long (a deleted webhook, or one whose certificate was removed). */
const IDLE_MS = 10 * 60_000;

/**
 * Connection pools of the webhooks that present a client certificate: one per webhook, since
 * a pooled connection is bound to the certificate of its handshake. A pool is reused while the
 * certificate stays the same (other edits of the webhook keep their warm connections), is
 * replaced when it changes (the old one closes once its requests finish), and closes after
 * IDLE_MS unused. Webhooks without a certificate share the sender's one Agent.
 */
export class ClientAgents {
  private readonly pools = new Map<string, { version: string; agent: Agent; usedAt: number }>();
  private sweptAt = Date.now();

  constructor(private readonly make: (tls: ClientIdentity['tls']) => Agent) {}

  get(identity: ClientIdentity, now = Date.now()): Agent {
    this.sweep(now);
    const hit = this.pools.get(identity.owner);
    if (hit && hit.version === identity.version) {
      hit.usedAt = now;
      return hit.agent;
    }
    if (hit) void hit.agent.close().catch(() => undefined);
    const agent = this.make(identity.tls);
    this.pools.set(identity.owner, { version: identity.version, agent, usedAt: now });
    return agent;
  }

  /** Pools open now (for tests and metrics). */
  get size(): number {
    return this.pools.size;
  }

  private sweep(now: number): void {
    if (now - this.sweptAt < 60_000) return;
    this.sweptAt = now;
    for (const [owner, p] of this.pools) {
      if (now - p.usedAt > IDLE_MS) {
        this.pools.delete(owner);
        void p.agent.close().catch(() => undefined);
      }
    }
  }

  async close(): Promise<void> {
    const agents = [...this.pools.values()].map((p) => p.agent);
    this.pools.clear();
    await Promise.all(agents.map((a) => a.destroy().catch(() => undefined)));
  }
}
