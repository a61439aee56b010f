/**
 * Lets a polling loop sleep until either its poll interval passes or something
 * (a folder watch event, stop()) says there may be work. A wake-up that comes
 * while the loop is busy is remembered, so the next wait returns at once.
 */
export class WakeSignal {
  private woken = false;
  private waiter: (() => void) | undefined;

  wake(): void {
    this.woken = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  /** Resolves after `ms`, or at the first wake(), whichever comes first. */
  wait(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve();
      }, ms);
      this.waiter = () => {
        clearTimeout(timer);
        this.woken = false;
        resolve();
      };
    });
  }
}
