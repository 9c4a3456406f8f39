import type { EventStore, EventStoreConfig } from '@temps/event-store';
import { openEventStore } from '@temps/event-store/nest';
import type { ReadStoreConfig, TraceReadStore } from '@temps/read-store';
import { openReadStore } from '@temps/read-store/nest';

/**
 * Which stores to open. Plain data, so that a thread can get it too (objects and connections cannot
 * cross to a worker thread: each side opens its own).
 */
export interface StoresConfig {
  events: EventStoreConfig;
  reads: ReadStoreConfig;
}

export interface OpenedStores {
  events: EventStore;
  /** Null when not asked for (an ingest-only process needs no read store). */
  reads: TraceReadStore | null;
  close(): Promise<void>;
}

/**
 * Opens the configured event store and, when asked, the read store, outside Nest (a projector thread, the
 * CLI; a Nest app uses EventStoreModule.forRoot and ReadStoreModule.forRoot). `readOnlyEvents`: this side
 * only reads the log (the projector thread), which for SQLite is a read-only connection beside the writer.
 */
export async function openStores(config: StoresConfig, options: { reads: boolean; readOnlyEvents?: boolean }): Promise<OpenedStores> {
  const events = await openEventStore(config.events, { readOnly: options.readOnlyEvents ?? false });
  let reads: TraceReadStore | null = null;
  try {
    if (options.reads) reads = await openReadStore(config.reads);
  } catch (err) {
    await events.close();
    throw err;
  }
  return {
    events,
    reads,
    async close() {
      await reads?.close();
      await events.close();
    },
  };
}
