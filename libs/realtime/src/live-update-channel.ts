import type { TraceListItem } from './live-events';

/** One change the sockets of a project hear about: the trace's list item, addressed to its project's room. */
export interface LiveUpdate {
  projectId: string;
  item: TraceListItem;
}

/** One published batch (one projector commit), as a subscriber reads it back. */
export interface LiveUpdateBatch {
  /** Increases with every batch published; a subscriber reads on after the last one it saw. */
  cursor: number;
  /** The instance that published it (its own sockets already had it, in-process). */
  origin: string;
  /** When it was published (ms since the epoch). */
  at: number;
  updates: LiveUpdate[];
}

/**
 * The shared channel that carries projector commits to every API instance: an outbox in the read store
 * (a table of the SQLite file, a collection of the MongoDB database) that the projector appends to and
 * every instance tails from its own cursor. Batches come back in publish order; old ones are pruned, so a
 * subscriber that falls far behind skips ahead (live updates are hints: the client re-reads the API).
 */
export interface LiveUpdateChannel {
  /** Appends one batch; resolves once it is committed (visible to every subscriber). */
  publish(origin: string, updates: LiveUpdate[]): Promise<void>;
  /** The cursor of the newest batch (0 when none): a new subscriber starts there, seeing only what comes next. */
  head(): Promise<number>;
  /** Batches published after `cursor`, oldest first, at most `limit`. */
  readAfter(cursor: number, limit: number): Promise<LiveUpdateBatch[]>;
  /** Removes batches older than `maxAgeMs`, and all but the newest `keep`; returns how many went. */
  prune(limits: { maxAgeMs: number; keep: number }): Promise<number>;
  close(): Promise<void>;
}

/** Injection token of the opened LiveUpdateChannel (absent: live updates stay in the process). */
export const LIVE_UPDATE_CHANNEL = Symbol('LiveUpdateChannel');

/** Where the channel lives: the read store's own file or database (the same config as ReadStoreConfig). */
export type LiveUpdateChannelConfig = { kind: 'sqlite'; path: string } | { kind: 'mongo'; url: string; database?: string };

/** Opens the configured adapter, loading only its driver. */
export async function openLiveUpdateChannel(config: LiveUpdateChannelConfig): Promise<LiveUpdateChannel> {
  if (config.kind === 'mongo') {
    const { MongoLiveUpdateChannel } = await import('@temps/read-store/mongo');
    return MongoLiveUpdateChannel.open(config.url, config.database === undefined ? {} : { database: config.database });
  }
  const { SqliteLiveUpdateChannel } = await import('@temps/read-store/sqlite');
  return SqliteLiveUpdateChannel.open(config.path);
}
