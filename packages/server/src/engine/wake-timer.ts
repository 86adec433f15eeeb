/**
 * One timer that keeps only the earliest wake-up asked of it: the worker and the digest
 * scheduler sleep until the next due time instead of polling.
 */
export class WakeTimer {
  private timer: NodeJS.Timeout | null = null;
  private at = Number.POSITIVE_INFINITY;

  constructor(private readonly fire: () => void) {}

  /** Wakes at `at` (ms since the epoch) unless an earlier wake-up is already set. */
  arm(at: number): void {
    if (this.timer && at >= this.at) return;
    if (this.timer) clearTimeout(this.timer);
    this.at = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.at = Number.POSITIVE_INFINITY;
      this.fire();
    }, Math.max(0, at - Date.now() + 1));
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.at = Number.POSITIVE_INFINITY;
  }
}
