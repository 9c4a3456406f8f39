import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@temps/event-store/sqlite';
import { describeEventStoreConformance, type CrashableStore } from './event-store.conformance';

/** Every test gets its own database file in a fresh temp dir, removed (with its -wal/-shm) afterwards. */
const opened: { store: SqliteEventStore; dir: string }[] = [];

afterEach(async () => {
  for (const { store, dir } of opened.splice(0)) {
    await store.close(); // idempotent: the suite has usually closed it already
    rmSync(dir, { recursive: true, force: true });
  }
});

// The port's behaviour, not the append deadline (its own tests cover it): a busy CI machine must not trip it.
const options = { writeTimeoutMs: 30_000 };

/**
 * The crash cases: the writer thread (test hook testCrashes) exits at a write step of the call's transaction
 * (each INSERT/UPDATE, COMMIT, after COMMIT); a new process is a new store on the same file.
 */
async function openCrashable(): Promise<CrashableStore> {
  const dir = mkdtempSync(join(tmpdir(), 'temps-event-store-crash-'));
  const path = join(dir, 'events.db');
  const stores: SqliteEventStore[] = [];
  const open = () => {
    const s = SqliteEventStore.open(path, { ...options, testCrashes: true });
    stores.push(s);
    return s;
  };
  const store = open();
  let before = 0;
  return {
    store,
    crashAt(step) {
      before = store.testCrashCount;
      store.testCrashAt(step);
    },
    crashed: () => store.testCrashCount > before,
    reopen: async () => open(),
    async dispose() {
      for (const s of stores) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeEventStoreConformance(
  'sqlite',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'temps-event-store-'));
    const store = SqliteEventStore.open(join(dir, 'events.db'), options);
    opened.push({ store, dir });
    return store;
  },
  { crashes: { open: openCrashable, atomic: true } },
);
