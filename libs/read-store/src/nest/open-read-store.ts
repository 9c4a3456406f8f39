import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ReadStoreConfig } from '../read-store-config';
import type { TraceQueries, TraceReadStore } from '../trace-read-store';

/** Opens the configured read store, loading only that adapter (and its driver) when it is configured. */
export async function openReadStore(config: ReadStoreConfig): Promise<TraceReadStore> {
  if (config.kind === 'mongo') {
    const { MongoTraceReadStore } = await import('@temps/read-store/mongo');
    return MongoTraceReadStore.open(config.url, config.database === undefined ? {} : { database: config.database });
  }
  const { SqliteTraceReadStore } = await import('@temps/read-store/sqlite');
  mkdirSync(dirname(config.path), { recursive: true });
  return SqliteTraceReadStore.open(config.path);
}

/**
 * The query port the API reads through: on the embedded store, query threads with their own connections
 * (a search never holds the event loop that takes ingest); MongoDB's driver is asynchronous already.
 */
export async function openQueries(config: ReadStoreConfig, reads: TraceReadStore): Promise<TraceQueries & { close(): Promise<void> }> {
  if (config.kind === 'mongo') return reads;
  const { SqliteQueryThreads } = await import('@temps/read-store/sqlite');
  return new SqliteQueryThreads(config.path, config.queries ?? {});
}
