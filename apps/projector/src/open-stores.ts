import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { EsdbEventStore, SqliteEventStore, type EventStore } from '@temps/event-store';
import { MongoTraceReadStore, SqliteTraceReadStore, type TraceReadStore } from '@temps/read-store';

/**
 * Which stores to open. Plain data, so that a thread can get it too (objects and connections cannot
 * cross to a worker thread: each side opens its own).
 */
export interface StoresConfig {
  events: { kind: 'sqlite'; path: string; writeTimeoutMs?: number } | { kind: 'esdb'; url: string; writeTimeoutMs?: number };
  reads: { kind: 'sqlite'; path: string } | { kind: 'mongo'; url: string; database?: string };
}

export interface OpenedStores {
  events: EventStore;
  /** Null when not asked for (an ingest-only process needs no read store). */
  reads: TraceReadStore | null;
  close(): Promise<void>;
}

/**
 * Opens the configured event store and, when asked, the read store. `readOnlyEvents`: this side only
 * reads the log (the projector thread), which for SQLite is a read-only connection beside the writer.
 */
export async function openStores(config: StoresConfig, options: { reads: boolean; readOnlyEvents?: boolean }): Promise<OpenedStores> {
  const events = await openEventStore(config.events, options.readOnlyEvents ?? false);
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

async function openEventStore(config: StoresConfig['events'], readOnly: boolean): Promise<EventStore> {
  if (config.kind === 'esdb') return EsdbEventStore.connect(config.url, config.writeTimeoutMs === undefined ? {} : { writeTimeoutMs: config.writeTimeoutMs });
  if (readOnly) return SqliteEventStore.open(config.path, { readOnly: true });
  mkdirSync(dirname(config.path), { recursive: true });
  return SqliteEventStore.open(config.path, config.writeTimeoutMs === undefined ? {} : { writeTimeoutMs: config.writeTimeoutMs });
}

async function openReadStore(config: StoresConfig['reads']): Promise<TraceReadStore> {
  if (config.kind === 'mongo') return MongoTraceReadStore.open(config.url, config.database === undefined ? {} : { database: config.database });
  mkdirSync(dirname(config.path), { recursive: true });
  return SqliteTraceReadStore.open(config.path);
}
