import type { TraceSummary } from '@temps/domain';
import { toTraceListItem } from './live-events';
import type { LiveUpdate, LiveUpdateChannel } from './live-update-channel';

/** Batches older than this are pruned from the outbox (a subscriber further behind skips them). */
const KEEP_MS = 60_000;
/** At most this many batches stay in the outbox. */
const KEEP_BATCHES = 10_000;
/** How often (at most) the publisher prunes, after a publish. */
const PRUNE_EVERY_MS = 5_000;

export function toLiveUpdates(traces: readonly TraceSummary[]): LiveUpdate[] {
  return traces.map((t) => ({ projectId: t.projectId, item: toTraceListItem(t) }));
}

/**
 * Writes each projector commit's changed traces to the shared channel, right after the commit, on the
 * projector's side (its thread, or the process in in-process mode); one write at a time, in commit order,
 * and prunes now and then. A failed write is logged and dropped: live updates are hints, the projection
 * goes on.
 */
export class LiveUpdatePublisher {
  private queue: Promise<void> = Promise.resolve();
  private lastPrune = 0;
  private pruning: Promise<void> | null = null;

  constructor(
    private readonly channel: LiveUpdateChannel,
    private readonly origin: string,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  publish(traces: readonly TraceSummary[]): void {
    if (traces.length === 0) return;
    const updates = toLiveUpdates(traces);
    this.queue = this.queue
      .then(() => this.channel.publish(this.origin, updates))
      .then(() => this.pruneNowAndThen())
      .catch((err: Error) => this.onError(`could not publish a live update to the shared channel: ${err.message}`));
  }

  /** Resolves once every publish so far is written (or dropped), and a prune under way is done. */
  async flushed(): Promise<void> {
    await this.queue;
    await this.pruning;
  }

  /**
   * Beside the publishes, not before the next one: a prune reads the head and deletes by a range (a scan of
   * the outbox on FerretDB), and the commits published meanwhile should not wait for it.
   */
  private pruneNowAndThen(): void {
    if (this.pruning || Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    this.pruning = this.channel
      .prune({ maxAgeMs: KEEP_MS, keep: KEEP_BATCHES })
      .then(
        () => undefined,
        (err: Error) => this.onError(`could not prune the shared live update channel: ${err.message}`),
      )
      .finally(() => (this.pruning = null));
  }
}
