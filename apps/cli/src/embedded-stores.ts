import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AccessService } from '@temps/access';
import { SqliteEventStore } from '@temps/event-store';
import type { StoresConfig } from '@temps/projector';
import { SqliteTraceReadStore } from '@temps/read-store';

/** The embedded default: two SQLite files in the data dir (events are the truth; read.db can be rebuilt). */
export function openEmbeddedStores(dataDir: string) {
  mkdirSync(dataDir, { recursive: true });
  // How long an append may wait for its commit before ingest answers 503 (TEMPS_EVENT_STORE_WRITE_TIMEOUT_MS).
  const writeTimeout = process.env.TEMPS_EVENT_STORE_WRITE_TIMEOUT_MS;
  const paths = { events: join(dataDir, 'events.db'), reads: join(dataDir, 'read.db') };
  const events = SqliteEventStore.open(paths.events, writeTimeout ? { writeTimeoutMs: Number(writeTimeout) } : {});
  const reads = SqliteTraceReadStore.open(paths.reads);
  const access = new AccessService(events);
  return {
    events,
    reads,
    access,
    /** The files, for a thread that opens its own connections (the projector's). */
    paths,
    config: { events: { kind: 'sqlite', path: paths.events }, reads: { kind: 'sqlite', path: paths.reads } } as StoresConfig,
    async close() {
      await reads.close();
      await events.close();
    },
  };
}
export type EmbeddedStores = ReturnType<typeof openEmbeddedStores>;
