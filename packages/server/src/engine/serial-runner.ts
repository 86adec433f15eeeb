/**
 * Runs a background pass one at a time: a wake-up while a pass is under way asks for exactly
 * one more pass after it (wake-ups in between collapse into that one). The digest scheduler,
 * the alert mailer and the operational-event relay look at the store this way.
 */
export class SerialRunner {
  private current: Promise<void> | null = null;
  private again = false;

  /** @param active while false, wake() does nothing (the owner is stopping). */
  constructor(
    private readonly pass: () => Promise<void>,
    private readonly active: () => boolean,
  ) {}

  wake(): void {
    if (!this.active()) return;
    if (this.current) {
      this.again = true;
      return;
    }
    this.current = this.pass().finally(() => {
      this.current = null;
      if (this.again && this.active()) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Resolves when the pass under way (if any) has ended. */
  async settled(): Promise<void> {
    await this.current;
  }
}
