/**
 * Fair sharing of one board between tabs: each tab (key) has its own FIFO queue, and free slots go to the tabs
 * in turn (round robin), so a tab that floods the host gets no more of the board than a tab that sends one
 * frame at a time. At most `concurrency` jobs run at once (the board's request window).
 */
export class SchedulerClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchedulerClosedError';
  }
}

interface Job {
  readonly run: () => Promise<unknown>;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
}

export class FairScheduler {
  private readonly queues = new Map<string, Job[]>();
  /** Keys in turn order; the key after the last one served goes first. */
  private order: string[] = [];
  private lastServed: string | null = null;
  private running = 0;

  constructor(private readonly concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`FairScheduler: concurrency must be a positive integer, got ${concurrency}`);
  }

  /** Jobs waiting for a slot, all keys. */
  get queued(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  get active(): number {
    return this.running;
  }

  /** Runs `job` when it is `key`'s turn and a slot is free; settles as the job does. */
  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let q = this.queues.get(key);
      if (!q) {
        q = [];
        this.queues.set(key, q);
        this.order.push(key);
      }
      q.push({ run: job, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  /** Rejects `key`'s waiting jobs (its tab closed) and forgets the key; jobs already running finish. */
  cancel(key: string, reason: string): void {
    const q = this.queues.get(key);
    if (!q) return;
    this.queues.delete(key);
    const i = this.order.indexOf(key);
    this.order.splice(i, 1);
    // Its turn passes to the key after it.
    if (this.lastServed === key) this.lastServed = i > 0 ? this.order[i - 1] : null;
    for (const job of q) job.reject(new SchedulerClosedError(reason));
  }

  private pump(): void {
    while (this.running < this.concurrency) {
      const job = this.takeNext();
      if (!job) return;
      this.running++;
      let p: Promise<unknown>;
      try {
        p = job.run();
      } catch (e) {
        p = Promise.reject(e);
      }
      p.then(job.resolve, job.reject).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private takeNext(): Job | undefined {
    const n = this.order.length;
    const start = this.lastServed === null ? 0 : this.order.indexOf(this.lastServed) + 1;
    for (let k = 0; k < n; k++) {
      const key = this.order[(start + k) % n];
      const q = this.queues.get(key);
      if (q && q.length) {
        this.lastServed = key;
        return q.shift();
      }
    }
    return undefined;
  }
}
