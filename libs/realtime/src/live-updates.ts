import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, Optional } from '@nestjs/common';
import type { TraceSummary } from '@temps/domain';
import { LIVE_UPDATE_CHANNEL, type LiveUpdate, type LiveUpdateChannel } from './live-update-channel';
import { LiveUpdatePublisher, toLiveUpdates } from './live-update-publisher';
import { LiveUpdateTail } from './live-update-tail';

/** Injection token: how often an instance polls the shared channel when idle (ms). */
export const LIVE_UPDATE_POLL_MS = Symbol('LiveUpdatePollMs');
const DEFAULT_POLL_MS = 25;

type Listener = (updates: LiveUpdate[]) => void;

/**
 * Where projector commits meet the sockets. The projector hands each commit's traces to `deliverLocally`
 * (its thread wrote them to the shared channel itself) or `publish` (in-process: written here); listeners
 * of this process (the live gateway) get them at once, and, once one listens, a tail of the shared channel
 * brings the commits of projectors in other processes. The tail skips batches this instance published,
 * so each commit reaches each listener once. Without a channel (LIVE_UPDATE_CHANNEL absent), it is all in-process.
 */
@Injectable()
export class LiveUpdates implements OnModuleDestroy {
  private readonly logger = new Logger('LiveUpdates');
  /** This process's name in the channel (each batch says who published it). */
  readonly instanceId = randomUUID();
  private readonly listeners = new Set<Listener>();
  private readonly publisher: LiveUpdatePublisher | null;
  private tail: LiveUpdateTail | null = null;
  private readonly pollMs: number;

  constructor(
    @Optional() @Inject(LIVE_UPDATE_CHANNEL) private readonly channel?: LiveUpdateChannel | null,
    @Optional() @Inject(LIVE_UPDATE_POLL_MS) pollMs?: number | null,
  ) {
    this.pollMs = pollMs ?? DEFAULT_POLL_MS;
    this.publisher = channel ? new LiveUpdatePublisher(channel, this.instanceId, (m) => this.logger.warn(m)) : null;
  }

  /** Whether commits go through a shared channel (the projector thread then publishes with `instanceId` as origin). */
  get shared(): boolean {
    return !!this.channel;
  }

  /** A commit made in this process whose traces are already in the shared channel (or there is none): this process's listeners only. */
  deliverLocally(traces: readonly TraceSummary[]): void {
    if (traces.length) this.deliver(toLiveUpdates(traces));
  }

  /** A commit made in this process: its listeners at once, and the shared channel for the other instances. */
  publish(traces: readonly TraceSummary[]): void {
    this.deliverLocally(traces);
    this.publisher?.publish(traces);
  }

  /** Calls `listener` with every commit's updates, from this process's projector and (through the channel) any other's. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    if (this.channel && !this.tail) {
      this.tail = new LiveUpdateTail(this.channel, {
        pollMs: this.pollMs,
        onBatch: (batch) => batch.origin !== this.instanceId && this.deliver(batch.updates),
        onError: (err) => this.logger.warn(`could not read the shared live update channel, retrying: ${(err as Error).message}`),
      });
    }
    return () => this.listeners.delete(listener);
  }

  async onModuleDestroy(): Promise<void> {
    await this.tail?.stop();
    this.tail = null;
    await this.publisher?.flushed();
  }

  private deliver(updates: LiveUpdate[]): void {
    for (const listener of this.listeners) {
      try {
        listener(updates);
      } catch (err) {
        this.logger.warn(`a live update listener failed: ${(err as Error).message}`);
      }
    }
  }
}
