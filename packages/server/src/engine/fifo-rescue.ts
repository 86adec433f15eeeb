import type { Clock } from '../background/clock.js';
import { BackgroundService } from '../background/service.js';
import type { Logger } from '../ops/logger.js';
import { unstickFifo } from '../store/queries/fifo.js';
import type { Store } from '../store/store.js';

export interface FifoRescueDeps {
  store: Store;
  log: Logger;
  /** Time between looks, ms (the worker's idle check). */
  everyMs: number;
  clock?: Clock;
}

/**
 * Safety net for fifo webhooks whose waiting deliveries lost their head (say, it was cancelled
 * by hand; docs/deliveries.md): now and then releases the oldest waiting delivery of each, and
 * wakes the workers of every process. It scans every fifo webhook, so it runs on the leader
 * only (background/leader-election.ts) rather than in every worker.
 */
export class FifoRescue extends BackgroundService {
  constructor(private readonly d: FifoRescueDeps) {
    super({ name: 'fifo rescue', log: d.log, clock: d.clock });
  }

  protected async look(): Promise<number | null> {
    try {
      const released = await unstickFifo(this.d.store.db, this.now());
      if (released > 0) {
        this.log.info({ released }, 'fifo webhooks without a head: their oldest waiting delivery is due again');
        this.d.store.notifier.notify();
      }
    } catch (err) {
      this.log.error({ err }, 'releasing stuck fifo deliveries failed; trying again next look');
    }
    return this.now() + this.d.everyMs;
  }
}
