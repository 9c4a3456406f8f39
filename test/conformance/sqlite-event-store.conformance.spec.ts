import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@temps/event-store/sqlite';
import { describeEventStoreConformance } from './event-store.conformance';

/** Every test gets its own database file in a fresh temp dir, removed (with its -wal/-shm) afterwards. */
const opened: { store: SqliteEventStore; dir: string }[] = [];

afterEach(async () => {
  for (const { store, dir } of opened.splice(0)) {
    await store.close(); // idempotent: the suite has usually closed it already
    rmSync(dir, { recursive: true, force: true });
  }
});

describeEventStoreConformance('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'temps-event-store-'));
  // The port's behaviour, not the append deadline (its own tests cover it): a busy CI machine must not trip it.
  const store = SqliteEventStore.open(join(dir, 'events.db'), { writeTimeoutMs: 30_000 });
  opened.push({ store, dir });
  return store;
});
