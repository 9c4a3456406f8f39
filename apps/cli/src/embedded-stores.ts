import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AccessService } from '@temps/access';
import { SqliteEventStore } from '@temps/event-store';
import { SqliteTraceReadStore } from '@temps/read-store';

/** The embedded default: two SQLite files in the data dir (events are the truth; read.db can be rebuilt). */
export function openEmbeddedStores(dataDir: string) {
  mkdirSync(dataDir, { recursive: true });
  const events = SqliteEventStore.open(join(dataDir, 'events.db'));
  const reads = SqliteTraceReadStore.open(join(dataDir, 'read.db'));
  const access = new AccessService(events);
  return {
    events,
    reads,
    access,
    async close() {
      await reads.close();
      await events.close();
    },
  };
}
export type EmbeddedStores = ReturnType<typeof openEmbeddedStores>;
