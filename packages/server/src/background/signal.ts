/**
 * A test signal (River's TestSignals): a service emits at a point tests care about ("a look
 * finished"), and a test awaits the next emission instead of sleeping. Costs nothing when
 * nobody listens.
 */
export class Signal<T> {
  private waiters: ((value: T) => void)[] = [];
  private readonly listeners = new Set<(value: T) => void>();

  emit(value: T): void {
    for (const l of this.listeners) l(value);
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(value);
  }

  /** Every emission from now on (metrics count looks this way); answers an unsubscribe. */
  subscribe(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The next emission after this call. */
  next(): Promise<T> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The first emission after this call for which `match` holds. */
  until(match: (value: T) => boolean): Promise<T> {
    return new Promise((resolve) => {
      const waiter = (value: T) => {
        if (match(value)) resolve(value);
        else this.waiters.push(waiter);
      };
      this.waiters.push(waiter);
    });
  }
}
