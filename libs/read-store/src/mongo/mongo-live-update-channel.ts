import { MongoClient, MongoServerError, type Collection, type MongoClientOptions } from 'mongodb';
import type { LiveUpdate, LiveUpdateBatch, LiveUpdateChannel } from '@temps/realtime';

interface OutboxDoc {
  _id: number;
  origin: string;
  at: number;
  updates: LiveUpdate[];
}

export interface MongoLiveUpdateChannelOptions {
  database?: string;
  /** Tests: a collection of their own. */
  collection?: string;
  clientOptions?: MongoClientOptions;
}

const DUPLICATE_KEY = 11000;

/**
 * The live update outbox (the port is in @temps/realtime) as a plain collection of the read store's database, tailed by polling `_id > cursor`
 * (the primary key, so each poll is one index seek). Neither a change stream nor a tailable cursor on a
 * capped collection: FerretDB v1 has no change streams, and an ordinary collection works on both.
 * `_id` is a sequence the publisher counts itself (one projector publishes at a time, under its lease), each
 * insert awaited before the next, so a reader never sees n+1 before n; a second publisher (a lease hand-over)
 * collides on `_id`, re-reads the head and takes the next number.
 */
export class MongoLiveUpdateChannel implements LiveUpdateChannel {
  private next: number | null = null;
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly client: MongoClient,
    private readonly outbox: Collection<OutboxDoc>,
  ) {}

  static async open(url: string, options: MongoLiveUpdateChannelOptions = {}): Promise<MongoLiveUpdateChannel> {
    const client = new MongoClient(url, options.clientOptions);
    try {
      await client.connect();
      const outbox = client.db(options.database ?? 'temps').collection<OutboxDoc>(options.collection ?? 'live_updates');
      await outbox.createIndex({ at: 1 });
      return new MongoLiveUpdateChannel(client, outbox);
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  publish(origin: string, updates: LiveUpdate[]): Promise<void> {
    // One insert at a time, in order: the sequence is visible without gaps to readers.
    const done = this.queue.then(() => this.insert(origin, updates));
    this.queue = done.catch(() => undefined);
    return done;
  }

  private async insert(origin: string, updates: LiveUpdate[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.next === null) this.next = (await this.head()) + 1;
      const id = this.next;
      try {
        await this.outbox.insertOne({ _id: id, origin, at: Date.now(), updates });
        this.next = id + 1;
        return;
      } catch (err) {
        this.next = null; // another publisher took the number (or the insert failed): re-read the head
        if (!(err instanceof MongoServerError && err.code === DUPLICATE_KEY) || attempt >= 20) throw err;
      }
    }
  }

  async head(): Promise<number> {
    const top = await this.outbox.find({}, { projection: { _id: 1 } }).sort({ _id: -1 }).limit(1).toArray();
    return top[0]?._id ?? 0;
  }

  async readAfter(cursor: number, limit: number): Promise<LiveUpdateBatch[]> {
    const docs = await this.outbox.find({ _id: { $gt: cursor } }).sort({ _id: 1 }).limit(limit).toArray();
    return docs.map((d) => ({ cursor: d._id, origin: d.origin, at: d.at, updates: d.updates }));
  }

  async prune(limits: { maxAgeMs: number; keep: number }): Promise<number> {
    // The head stays however old it is: the next publisher (after a restart) continues the sequence from it.
    const head = await this.head();
    const result = await this.outbox.deleteMany({ _id: { $lt: head }, $or: [{ _id: { $lte: head - limits.keep } }, { at: { $lt: Date.now() - limits.maxAgeMs } }] });
    return result.deletedCount;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
