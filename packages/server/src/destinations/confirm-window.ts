/**
 * A cap on the messages a channel has published and the broker has not confirmed yet, with
 * the messages beyond it waiting in arrival order.
 *
 * Why: RabbitMQ confirms a persistent message once its queue has written it and has nothing
 * else waiting, so a channel flooded with everything the engine has in flight hears nothing
 * until the last message is stored: the engine waits for the whole lump while the broker
 * works, and the broker idles while the engine records the lump and claims the next. With a
 * window the queue empties, and confirms, every `size` messages, and the next `size` (already
 * signed, waiting here) go out from the confirm callback itself, so the broker is idle only
 * for a round trip.
 *
 * The window never publishes on its own: `pump()` runs when items were added, when a message
 * was settled (confirmed, refused or lost), and when the transport accepts writes again.
 */
export interface WindowTransport<T> {
  /** Whether an item still needs to go out (its batch may have settled at its deadline). */
  wanted(item: T): boolean;
  /**
   * Publishes one item: `sent`; `full` when it was sent but the transport wants no more writes
   * until `unblock()`; `failed` when it could not be sent (the transport reported it).
   */
  publish(item: T): 'sent' | 'full' | 'failed';
}

export class ConfirmWindow<T> {
  private queue: (T | undefined)[] = [];
  private head = 0;
  private unconfirmed = 0;
  private blocked = false;

  constructor(
    readonly size: number,
    private readonly transport: WindowTransport<T>,
  ) {}

  /** Messages published and not yet settled. */
  get pending(): number {
    return this.unconfirmed;
  }

  /** Messages waiting for room. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** Queues an item behind those already waiting (call pump() after adding a batch). */
  add(item: T): void {
    this.queue.push(item);
  }

  /** Publishes waiting items while there is room and the transport accepts writes. */
  pump(): void {
    while (!this.blocked && this.unconfirmed < this.size && this.head < this.queue.length) {
      const item = this.queue[this.head] as T;
      this.queue[this.head] = undefined;
      this.head += 1;
      if (!this.transport.wanted(item)) continue;
      const r = this.transport.publish(item);
      if (r === 'failed') continue;
      this.unconfirmed += 1;
      if (r === 'full') this.blocked = true;
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
  }

  /** A published message was confirmed, refused or lost: its room goes to the next. */
  settled(): void {
    this.unconfirmed -= 1;
    this.pump();
  }

  /** The transport accepts writes again. */
  unblock(): void {
    this.blocked = false;
    this.pump();
  }

  /** Takes every waiting item out, for good (the channel is gone: they will never go out). */
  drain(): T[] {
    const rest = this.queue.slice(this.head) as T[];
    this.queue = [];
    this.head = 0;
    return rest;
  }
}
