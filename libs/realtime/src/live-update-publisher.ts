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

  /** Resolves once every publish so far is written (or dropped). */
  flushed(): Promise<void> {
    return this.queue;
  }

  private async pruneNowAndThen(): Promise<void> {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    await this.channel.prune({ maxAgeMs: KEEP_MS, keep: KEEP_BATCHES });
  }
}
