import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { MONGO_COMMIT_STEPS, MongoTraceReadStore } from '@temps/read-store/mongo';
import { describeTraceReadStoreConformance } from './trace-read-store.conformance';

// Runs against a real MongoDB-wire server when MONGO_URL is set (CI: FerretDB from scripts/ferretdb.mjs;
// locally: `eval "$(node scripts/ferretdb.mjs start)"`, or any MongoDB). Each test gets its own collections.
const url = process.env.MONGO_URL;

if (!url) {
  describe('TraceReadStore conformance: mongo', () => {
    it.skip('skipped: MONGO_URL not set', () => undefined);
  });
} else {
  const database = process.env.MONGO_DATABASE ?? 'temps_test';
  const run = `t${randomBytes(4).toString('hex')}_`;
  let n = 0;
  let prefix: string | null = null;
  const admin = new MongoClient(url);

  afterEach(async () => {
    // The suite has closed its store by now; drop that test's collections.
    if (prefix === null) return;
    const p = prefix;
    prefix = null;
    const db = admin.db(database);
    for (const c of await db.listCollections({}, { nameOnly: true }).toArray()) if (c.name.startsWith(p)) await db.dropCollection(c.name);
  });
  afterAll(() => admin.close());

  describeTraceReadStoreConformance('mongo', async (options) => {
    if (!options?.namespace) prefix = `${run}${++n}_`;
    return MongoTraceReadStore.open(url, { database, collectionPrefix: prefix!, ...options });
  }, { freeText: 'words', commitSteps: MONGO_COMMIT_STEPS, commitPausesBetweenSteps: true });
}
