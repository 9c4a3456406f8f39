import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { MongoLiveUpdateChannel } from '@temps/read-store/mongo';
import { describeLiveUpdateChannelConformance } from './live-update-channel.conformance';

// Runs against a real MongoDB-wire server when MONGO_URL is set (FerretDB from scripts/ferretdb.mjs, or any
// MongoDB). Each test gets its own outbox collection, dropped after it.
const url = process.env.MONGO_URL;

if (!url) {
  describe('LiveUpdateChannel conformance: mongo', () => {
    it.skip('skipped: MONGO_URL not set', () => undefined);
  });
} else {
  const database = process.env.MONGO_DATABASE ?? 'temps_test';
  const run = `live${randomBytes(4).toString('hex')}_`;
  let n = 0;
  const used: string[] = [];
  const admin = new MongoClient(url);
  afterAll(async () => {
    for (const c of used) await admin.db(database).dropCollection(c).catch(() => undefined);
    await admin.close();
  });

  describeLiveUpdateChannelConformance('mongo', async () => {
    const collection = `${run}${++n}`;
    used.push(collection);
    const open = () => MongoLiveUpdateChannel.open(url, { database, collection });
    return { publisher: await open(), subscriber: await open(), another: open };
  });
}
