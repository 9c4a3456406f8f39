/** The part of a subscription this loop needs (an @eventstore/db-client subscription is one). */
export interface Subscription {
  on(event: 'data' | 'error' | 'end' | 'close', listener: (arg?: any) => void): unknown;
  unsubscribe(): Promise<void>;
}

export interface ResubscribingSubscriptionOptions<D> {
  /** Opens a subscription after `after` (exclusive), or from wherever the caller starts when undefined. */
  open(after: bigint | undefined): Subscription;
  /** The position of a delivered item (an event or a checkpoint), to resume after it. */
  positionOf(data: D): bigint | undefined;
  onData(data: D): void;
  /** A new subscription replaced one that failed; what happened in between may not have been seen. */
  onResubscribed?(): void;
  onError?(err: unknown): void;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Keeps a subscription alive: EventStoreDB subscriptions end on a server restart, a leader change or a
 * network error and never come back by themselves. Each failure resubscribes after the last position
 * seen, after a delay that doubles (up to maxDelayMs) and resets once data flows again.
 */
export class ResubscribingSubscription<D> {
  private current: Subscription | undefined;
  private last: bigint | undefined;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(private readonly options: ResubscribingSubscriptionOptions<D>) {}

  /** How many resubscriptions are pending or done since data last flowed (for tests and logs). */
  get consecutiveFailures(): number {
    return this.failures;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.subscribe();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const sub = this.current;
    this.current = undefined;
    await sub?.unsubscribe().catch(() => undefined);
  }

  private subscribe(): void {
    let sub: Subscription;
    try {
      sub = this.options.open(this.last);
    } catch (err) {
      this.failed(undefined, err);
      return;
    }
    this.current = sub;
    sub.on('data', (data: D) => {
      if (this.current !== sub) return;
      this.failures = 0;
      const position = this.options.positionOf(data);
      if (position !== undefined) this.last = position;
      this.options.onData(data);
    });
    sub.on('error', (err) => this.failed(sub, err));
    sub.on('end', () => this.failed(sub, new Error('subscription ended')));
    sub.on('close', () => this.failed(sub, new Error('subscription closed')));
  }

  private failed(sub: Subscription | undefined, err: unknown): void {
    if (this.stopped || (sub && this.current !== sub)) return; // stopped on purpose, or already replaced
    this.current = undefined;
    if (sub) void sub.unsubscribe().catch(() => undefined);
    this.options.onError?.(err);
    const initial = this.options.initialDelayMs ?? 100;
    const delay = Math.min(this.options.maxDelayMs ?? 5000, initial * 2 ** Math.min(this.failures, 16));
    this.failures++;
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      this.subscribe();
      this.options.onResubscribed?.();
    }, delay);
    this.timer.unref?.();
  }
}
