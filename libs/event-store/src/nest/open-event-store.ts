import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EventStore } from '../event-store';
import type { EventStoreConfig } from '../event-store-config';

/**
 * Opens the configured event store. Each adapter is loaded here, when configured, and not before: an
 * EventStoreDB process never loads node:sqlite, an embedded one never loads the EventStoreDB client.
 * `readOnly` (SQLite): a read-only connection beside the writer (a projector thread only reads the log).
 */
export async function openEventStore(config: EventStoreConfig, options: { readOnly?: boolean } = {}): Promise<EventStore> {
  const timeout = config.writeTimeoutMs === undefined ? {} : { writeTimeoutMs: config.writeTimeoutMs };
  if (config.kind === 'esdb') {
    const { EsdbEventStore } = await import('@temps/event-store/esdb');
    return EsdbEventStore.connect(config.url, config.maxAppendBytes === undefined ? timeout : { ...timeout, maxAppendBytes: config.maxAppendBytes });
  }
  const { SqliteEventStore } = await import('@temps/event-store/sqlite');
  if (options.readOnly) return SqliteEventStore.open(config.path, { readOnly: true });
  mkdirSync(dirname(config.path), { recursive: true });
  return SqliteEventStore.open(config.path, timeout);
}
