import { MongoClient, MongoServerError, type Collection, type MongoClientOptions } from 'mongodb';
import type { LiveUpdate, LiveUpdateBatch, LiveUpdateChannel } from '@temps/realtime';

interface OutboxDoc {
  /** The batch's number as zero-padded text (batchId), or FLOOR. */
  _id: string;
  origin: string;
  at: number;
  updates: LiveUpdate[];
}

/** Where the oldest batch left after a prune is recorded (sorts before every batch id: '!' < '0'). */
const FLOOR = '!floor';
interface FloorDoc {
  _id: typeof FLOOR;
  n: number;
}

/**
 * A batch's `_id`: its number as zero-padded text. FerretDB v1 (SQLite) looks a document up through the `_id`
 * index only for an equality on a text or ObjectId `_id`; a range (`_id > cursor`), a sort or a number `_id` is
 * a scan of the whole collection, decoding every document. So readers look batches up one by one by equality.
 */
const batchId = (n: number) => n.toString().padStart(16, '0');
const FIRST_ID = batchId(0);

export interface MongoLiveUpdateChannelOptions {
  database?: string;
  /** Tests: a collection of their own. */
  collection?: string;
  clientOptions?: MongoClientOptions;
}

const DUPLICATE_KEY = 11000;

/**
 * The live update outbox (the port is in @temps/realtime) as a plain collection of the read store's database.
 * Neither a change stream nor a tailable cursor on a capped collection: FerretDB v1 has no change streams, and an
 * ordinary collection works on both. `_id` is a sequence the publisher counts itself (one projector publishes at
 * a time, under its lease), each insert awaited before the next, so a reader never sees n+1 before n; a second
 * publisher (a lease hand-over) collides on `_id`, re-reads the head and takes the next number. So a reader
 * tails by looking up cursor+1, cursor+2, ... by `_id` equality (an index lookup on every server, see batchId);
 * when cursor+1 is missing it reads the floor (one more lookup), which says where batches resume after a prune.
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
        await this.outbox.insertOne({ _id: batchId(id), origin, at: Date.now(), updates });
        this.next = id + 1;
        return;
      } catch (err) {
        this.next = null; // another publisher took the number (or the insert failed): re-read the head
        if (!(err instanceof MongoServerError && err.code === DUPLICATE_KEY) || attempt >= 20) throw err;
      }
    }
  }

  /** Called once per tail or publisher start: a sort, so a scan on FerretDB. */
  async head(): Promise<number> {
    const top = await this.outbox.find({ _id: { $gt: FIRST_ID } }, { projection: { _id: 1 } }).sort({ _id: -1 }).limit(1).toArray();
    return top[0] ? Number(top[0]._id) : 0;
  }

  async readAfter(cursor: number, limit: number): Promise<LiveUpdateBatch[]> {
    const batches = await this.readFrom(cursor + 1, limit);
    if (batches.length > 0) return batches;
    // cursor+1 is not there: not published yet, or pruned (this reader fell behind): the floor says which.
    const floor = (await this.floors.findOne({ _id: FLOOR }))?.n ?? 0;
    return floor > cursor + 1 ? this.readFrom(floor, limit) : [];
  }

  /** Batches n, n+1, ... up to the first missing one, at most `limit`: one `_id` lookup each. */
  private async readFrom(n: number, limit: number): Promise<LiveUpdateBatch[]> {
    const out: LiveUpdateBatch[] = [];
    for (let i = n; out.length < limit; i++) {
      const d = await this.outbox.findOne({ _id: batchId(i) });
      if (!d) break;
      out.push({ cursor: i, origin: d.origin, at: d.at, updates: d.updates });
    }
    return out;
  }

  async prune(limits: { maxAgeMs: number; keep: number }): Promise<number> {
    // The head stays however old it is: the next publisher (after a restart) continues the sequence from it.
    const head = await this.head();
    const result = await this.outbox.deleteMany({
      $and: [{ _id: { $gt: FIRST_ID } }, { _id: { $lt: batchId(head) } }],
      $or: [{ _id: { $lte: batchId(head - limits.keep) } }, { at: { $lt: Date.now() - limits.maxAgeMs } }],
    });
    if (result.deletedCount > 0) {
      // Readers behind this point resume at the oldest batch left (batches are pruned oldest first).
      const oldest = await this.outbox.find({ _id: { $gt: FIRST_ID } }, { projection: { _id: 1 } }).sort({ _id: 1 }).limit(1).toArray();
      await this.floors.updateOne({ _id: FLOOR }, { $set: { n: oldest[0] ? Number(oldest[0]._id) : head } }, { upsert: true });
    }
    return result.deletedCount;
  }

  /** The floor document lives in the outbox collection itself, under an `_id` no batch has. */
  private get floors(): Collection<FloorDoc> {
    return this.outbox as unknown as Collection<FloorDoc>;
  }

  /** The client (its command events, for tests that check what a poll asks the server). */
  get mongoClient(): MongoClient {
    return this.client;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
