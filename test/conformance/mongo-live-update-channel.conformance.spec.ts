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

  // FerretDB v1 finds a document through the _id index only for an equality on a text _id; a range, a sort or a
  // number _id reads and decodes the whole collection. A poll of every api instance, every 25 ms, must not be that.
  it('a poll is _id lookups only (no range, no sort): one per new batch, and two when there is nothing new', async () => {
    const collection = `${run}${++n}`;
    used.push(collection);
    const publisher = await MongoLiveUpdateChannel.open(url, { database, collection });
    const subscriber = await MongoLiveUpdateChannel.open(url, { database, collection, clientOptions: { monitorCommands: true } });
    try {
      for (let i = 0; i < 3; i++) await publisher.publish('a', []);
      const filters: unknown[] = [];
      subscriber.mongoClient.on('commandStarted', (e) => e.commandName === 'find' && filters.push({ filter: e.command.filter, sort: e.command.sort }));
      expect((await subscriber.readAfter(1, 10)).map((b) => b.cursor)).toEqual([2, 3]);
      expect(await subscriber.readAfter(3, 10)).toEqual([]);
      expect(filters).toHaveLength(5);
      for (const f of filters) expect(f).toEqual({ filter: { _id: expect.any(String) }, sort: undefined });
    } finally {
      await publisher.close();
      await subscriber.close();
    }
  });
}
