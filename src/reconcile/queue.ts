// A keyed work queue with controller-runtime's semantics: it holds keys, not objects (the
// worker reads the current state); a key waiting is not added twice; a key being processed
// is never handed to a second worker, and an add during processing makes it run once more
// after; a delayed add keeps the earliest due time; failures back off per key
// (exponential, capped) within an overall rate limit, and a success forgets them.

export interface QueueOptions {
  /** first retry delay after a failure */
  baseDelayMs: number;
  /** retry delays never exceed this */
  maxDelayMs: number;
  /** overall rate of rate-limited adds (token bucket) */
  qps: number;
  burst: number;
}

export const DEFAULT_QUEUE_OPTIONS: QueueOptions = { baseDelayMs: 500, maxDelayMs: 60_000, qps: 10, burst: 100 };

export interface QueueObserver {
  depth(n: number): void;
  waited(seconds: number): void;
}

/** A key handed to a worker, with when it was first added (what it asks for happened before that). */
export interface QueueItem {
  key: string;
  addedAt: number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly addedAt = new Map<string, number>();
  private readonly delayed = new Map<string, { due: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly waiters: ((item: QueueItem | undefined) => void)[] = [];
  private tokens: number;
  private refilledAt = Date.now();
  private shuttingDown = false;

  constructor(
    private readonly options: QueueOptions = DEFAULT_QUEUE_OPTIONS,
    private readonly observer?: QueueObserver,
  ) {
    this.tokens = options.burst;
  }

  get length(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (!this.addedAt.has(key)) this.addedAt.set(key, Date.now());
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.hand(key, waiter);
      return;
    }
    this.queue.push(key);
    this.observer?.depth(this.queue.length);
  }

  /** Adds after `delayMs`; an earlier pending add of the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const due = Date.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.due <= due) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.delayed.set(key, { due, timer });
  }

  /** After a failure: the key's own exponential delay, or the overall rate limit, whichever is later. */
  addRateLimited(key: string): void {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    const itemDelay = Math.min(this.options.baseDelayMs * 2 ** failures, this.options.maxDelayMs);
    this.addAfter(key, Math.max(itemDelay, this.bucketDelay()));
  }

  /** The key succeeded: its next failure starts from the base delay again. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key to work on; undefined once the queue shuts down. */
  get(): Promise<QueueItem | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.observer?.depth(this.queue.length);
      return new Promise((resolve) => this.hand(key, resolve));
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private hand(key: string, to: (item: QueueItem) => void): void {
    this.dirty.delete(key);
    this.processing.add(key);
    const added = this.addedAt.get(key) ?? Date.now();
    this.addedAt.delete(key);
    this.observer?.waited((Date.now() - added) / 1000);
    to({ key, addedAt: added });
  }

  /** The worker finished the key; if it was added meanwhile, it goes back in line. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  private bucketDelay(): number {
    const now = Date.now();
    this.tokens = Math.min(this.options.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.options.qps);
    this.refilledAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.options.qps) * 1000;
  }
}
