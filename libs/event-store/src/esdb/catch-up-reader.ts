import type { AllStreamResolvedEvent, AllStreamSubscription } from '@eventstore/db-client';
import type { RecordedEvent } from '../event-store';

/**
 * One consumer's catch-up subscription to $all, read in pulls. Events move from the subscription's
 * readable buffer (highWaterMark: the server stops sending when it is full, the backpressure) into
 * `pending`, and leave `pending` only when a later pull starts after them: a pull does not consume, so a
 * status probe reading one event after the consumer's checkpoint, or the consumer's own retry of a failed
 * batch, is served by the same subscription without reopening it.
 *
 * `caughtUp` is the client's signal that the backlog is delivered (server 23.10+): with nothing pending
 * after it, the consumer is at the head, with no read of $all backwards to find out.
 */
export class CatchUpReader {
  error: Error | undefined;
  caughtUp = false;
  busy = false;
  lastUsed = Date.now();
  /** Events with positions at or before this are gone (undefined: none yet, read from the start). */
  private base: bigint | undefined;
  private readonly pending: RecordedEvent[] = [];

  constructor(
    private readonly subscription: AllStreamSubscription,
    after: bigint | undefined,
    private readonly toRecorded: (e: AllStreamResolvedEvent) => RecordedEvent,
    /** New events arrived while caught up (a live append, maybe by another process): wake consumers. */
    onLive: () => void,
  ) {
    this.base = after;
    subscription.on('error', (err: Error) => (this.error = err));
    subscription.on('end', () => (this.error ??= new Error('the subscription ended')));
    subscription.on('caughtUp', () => (this.caughtUp = true));
    subscription.on('fellBehind', () => (this.caughtUp = false));
    subscription.on('readable', () => {
      if (this.caughtUp && !this.busy) onLive();
    });
  }

  /** A pull starting after `after` can continue here: it lies between what was dropped and what was received. */
  covers(after: bigint | undefined): boolean {
    if (this.error) return false;
    if (after === undefined) return this.base === undefined;
    const last = this.pending.length ? this.pending[this.pending.length - 1]!.position : this.base;
    return last !== undefined && (this.base === undefined || after >= this.base) && after <= last;
  }

  /** Position of the newest event received, when nothing more is buffered and the backlog was delivered. */
  liveHead(): bigint | undefined {
    if (!this.caughtUp || this.error || this.subscription.readableLength > 0) return undefined;
    return this.pending.length ? this.pending[this.pending.length - 1]!.position : this.base;
  }

  /** Up to `limit` events after `after` (which `covers`), without consuming them. */
  take(after: bigint | undefined, limit: number): RecordedEvent[] {
    this.lastUsed = Date.now();
    if (after !== undefined) {
      let drop = 0;
      while (drop < this.pending.length && this.pending[drop]!.position <= after) drop++;
      this.pending.splice(0, drop);
      this.base = after;
    }
    while (this.pending.length < limit) {
      const e = this.subscription.read() as AllStreamResolvedEvent | null;
      if (e === null) break;
      if (e.event) this.pending.push(this.toRecorded(e));
    }
    return this.pending.slice(0, limit);
  }

  /** Resolves true once something changed (data, caught up, failed), false after timeoutMs. */
  waitForData(timeoutMs: number): Promise<boolean> {
    if (this.subscription.readableLength > 0 || this.error) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.subscription.off('readable', onChange);
        this.subscription.off('error', onChange);
        this.subscription.off('caughtUp', onChange);
        resolve(value);
      };
      const onChange = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.subscription.on('readable', onChange);
      this.subscription.on('error', onChange);
      this.subscription.on('caughtUp', onChange);
    });
  }

  close(): Promise<void> {
    return this.subscription.unsubscribe().catch(() => undefined);
  }
}
