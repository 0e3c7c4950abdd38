// A fixed number of slots, like an accelerator's batch slots, with a bounded FIFO queue in
// front. Work beyond slots + queue is refused at once so latency stays bounded.

export class QueueFullError extends Error {
  constructor() {
    super('all slots are busy and the queue is full');
  }
}

export class AbortedWhileQueuedError extends Error {
  constructor() {
    super('the request was abandoned while queued');
  }
}

interface Waiter {
  grant: () => void;
}

export interface SlotObserver {
  /** Called after every change of running or queued, with the time of the change. */
  (running: number, queued: number, nowMs: number): void;
}

export class SlotPool {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  readonly slots: number;
  readonly queueLimit: number;
  private readonly observe: SlotObserver;
  private readonly now: () => number;

  constructor(slots: number, queueLimit: number, observe: SlotObserver = () => {}, now: () => number = () => performance.now()) {
    this.slots = slots;
    this.queueLimit = queueLimit;
    this.observe = observe;
    this.now = now;
  }

  get inFlight(): number {
    return this.running + this.waiting.length;
  }

  get queued(): number {
    return this.waiting.length;
  }

  get busy(): number {
    return this.running;
  }

  /** A slot now, without queueing, or undefined when all are busy. */
  tryAcquire(): (() => void) | undefined {
    if (this.running >= this.slots) return undefined;
    this.running += 1;
    this.changed();
    return this.releaser();
  }

  /**
   * Resolves once a slot is held; the caller must call the returned release exactly once.
   * Rejects with QueueFullError when no room is left, or AbortedWhileQueuedError when the
   * signal fires before a slot frees up.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.running < this.slots) {
      this.running += 1;
      this.changed();
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.queueLimit) {
      return Promise.reject(new QueueFullError());
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) {
          this.waiting.splice(index, 1);
          this.changed();
          reject(new AbortedWhileQueuedError());
        }
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      this.waiting.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.changed();
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) {
        // The slot passes straight to the next waiter: running stays the same.
        next.grant();
      } else {
        this.running -= 1;
      }
      this.changed();
    };
  }

  private changed(): void {
    this.observe(this.running, this.waiting.length, this.now());
  }
}
