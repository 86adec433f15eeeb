/**
 * At most `limit` requests at once per origin. Requests beyond it wait here, before their
 * deadline starts: a request queued behind a slow receiver must not time out without ever
 * having been sent (and count as that receiver's failure).
 */
export class OriginLimiter {
  private readonly origins = new Map<string, { active: number; waiting: (() => void)[] }>();

  constructor(private readonly limit: number) {}

  /** A slot at once, or null when the origin is full (then `acquire` waits for one). */
  tryAcquire(origin: string): (() => void) | null {
    let o = this.origins.get(origin);
    if (!o) {
      o = { active: 0, waiting: [] };
      this.origins.set(origin, o);
    }
    if (o.active >= this.limit) return null;
    o.active++;
    return this.releaser(origin, o);
  }

  async acquire(origin: string): Promise<() => void> {
    const now = this.tryAcquire(origin);
    if (now) return now;
    const o = this.origins.get(origin)!;
    await new Promise<void>((resolve) => o.waiting.push(resolve));
    return this.releaser(origin, o);
  }

  private releaser(origin: string, slot: { active: number; waiting: (() => void)[] }): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = slot.waiting.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else if (--slot.active === 0) this.origins.delete(origin);
    };
  }

  /** Requests waiting for a slot, over all origins. */
  get queued(): number {
    let n = 0;
    for (const o of this.origins.values()) n += o.waiting.length;
    return n;
  }
}
