import { Readable, type ReadableOptions } from 'node:stream';
import {
  BACKWARDS,
  END,
  EVENT_TYPE,
  START,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  type AppendExpectedRevision,
  type EventData,
  type Filter,
  type Position,
  type ReadPosition,
  type ReadRevision,
} from '@eventstore/db-client';

interface StoredEvent {
  streamId: string;
  id: string;
  type: string;
  revision: bigint;
  isJson: true;
  data: string;
  metadata: string;
  created: Date;
  position: Position;
}

/**
 * An in-memory stand-in for the part of @eventstore/db-client's EventStoreDBClient that EsdbEventStore uses,
 * with the server's semantics as documented: expected-revision checks, StreamNotFoundError, positions with
 * gaps (commit = prepare), system events ($-types in $-streams) written in between, backwards $all reads,
 * catch-up subscriptions that are exclusive of their start position, filtered server side, then live,
 * with backpressure (a Readable in object mode). Only for tests: no EventStoreDB server can run here.
 */
export class InMemoryEsdbClient {
  private readonly log: StoredEvent[] = [];
  private readonly revisions = new Map<string, bigint>();
  private nextPosition = 1_000n;
  private appends = 0;
  private readonly wakers = new Set<() => void>();
  private readonly subscriptions = new Set<Readable>();

  constructor() {
    // A fresh server already holds system events.
    for (let i = 0; i < 5; i++) this.writeSystemEvent();
  }

  async appendToStream(streamName: string, events: EventData | EventData[], options: { expectedRevision?: AppendExpectedRevision } = {}) {
    await new Promise((r) => setImmediate(r)); // a network round trip: concurrent calls interleave here
    const list = Array.isArray(events) ? events : [events];
    const current = this.revisions.get(streamName);
    const expected = options.expectedRevision ?? 'any';
    const ok = expected === 'any' || (expected === 'no_stream' ? current === undefined : expected === 'stream_exists' ? current !== undefined : current === expected);
    if (!ok) throw new WrongExpectedVersionError(undefined as never, { streamName, expected, current: current ?? 'no_stream' });
    let revision = current ?? -1n;
    let position: Position | undefined;
    for (const e of list) {
      revision++;
      position = this.write({ streamId: streamName, id: e.id, type: e.type, revision, data: JSON.stringify(e.data), metadata: e.metadata === undefined ? '' : JSON.stringify(e.metadata) });
    }
    this.revisions.set(streamName, revision);
    if (++this.appends % 3 === 0) this.writeSystemEvent(); // the server writes its own events in between
    this.wake();
    return { success: true, nextExpectedRevision: revision, position };
  }

  readStream(streamName: string, options: { fromRevision?: ReadRevision } = {}): AsyncIterable<{ event: ReturnType<InMemoryEsdbClient['toRecorded']> }> {
    const log = this.log;
    const exists = this.revisions.has(streamName);
    const from = typeof options.fromRevision === 'bigint' ? options.fromRevision : 0n;
    const self = this;
    return (async function* () {
      await new Promise((r) => setImmediate(r));
      if (!exists) throw new StreamNotFoundError(undefined as never, streamName);
      for (const e of log) if (e.streamId === streamName && e.revision >= from) yield { event: self.toRecorded(e) };
    })();
  }

  readAll(options: { direction?: string; fromPosition?: ReadPosition; maxCount?: number | bigint } = {}) {
    if (options.direction !== BACKWARDS) throw new Error('this fake only reads $all backwards (EsdbEventStore reads forwards through subscriptions)');
    const before = options.fromPosition === undefined || options.fromPosition === END ? Infinity : options.fromPosition === START ? -Infinity : Number(options.fromPosition.commit);
    const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    const page = this.log.filter((e) => Number(e.position.commit) < before).reverse().slice(0, max);
    const self = this;
    return (async function* () {
      await new Promise((r) => setImmediate(r));
      for (const e of page) yield { event: self.toRecorded(e) };
    })();
  }

  subscribeToAll(options: { fromPosition?: ReadPosition; filter?: Filter } = {}, readableOptions: ReadableOptions = {}) {
    const from = options.fromPosition ?? START;
    let index = from === START ? 0 : from === END ? this.log.length : this.log.findIndex((e) => e.position.commit > (from as Position).commit);
    if (index < 0) index = this.log.length;
    const keep = (e: StoredEvent) => {
      const f = options.filter;
      if (!f) return true;
      const subject = f.filterOn === EVENT_TYPE ? e.type : e.streamId;
      return 'regex' in f ? new RegExp(f.regex).test(subject) : f.prefixes.some((p) => subject.startsWith(p));
    };
    let waker: (() => void) | undefined;
    const client = this;
    /** Pushes what the log holds after the cursor until the buffer is full; then, or at the end, waits. */
    const pump = () => {
      for (;;) {
        const e = client.log[index];
        if (!e) {
          // live: wait for the next append
          waker ??= () => {
            client.wakers.delete(waker!);
            waker = undefined;
            pump();
          };
          client.wakers.add(waker);
          return;
        }
        index++;
        if (keep(e) && !stream.push({ event: client.toRecorded(e) })) return;
      }
    };
    const stream = new Readable({ ...readableOptions, objectMode: true, read: pump }) as Readable & { unsubscribe(): Promise<void> };
    stream.unsubscribe = async () => {
      if (waker) client.wakers.delete(waker);
      client.subscriptions.delete(stream);
      stream.destroy();
    };
    this.subscriptions.add(stream);
    return stream;
  }

  async dispose(): Promise<void> {}

  /** What a server restart does to open subscriptions: they fail, and the client does not resubscribe. */
  dropSubscriptions(): number {
    const dropped = [...this.subscriptions];
    this.subscriptions.clear();
    for (const s of dropped) s.destroy(new UnavailableError({ code: 14, message: '14 UNAVAILABLE: connection dropped (fake server restart)' } as never));
    return dropped.length;
  }

  private write(e: Omit<StoredEvent, 'position' | 'created' | 'isJson'>): Position {
    const p = this.nextPosition;
    this.nextPosition += 50n + BigInt(e.data.length); // positions are byte offsets: strictly increasing, with gaps
    const position = { commit: p, prepare: p };
    this.log.push({ ...e, isJson: true, created: new Date(), position });
    return position;
  }

  private writeSystemEvent(): void {
    const revision = (this.revisions.get('$stats-fake') ?? -1n) + 1n;
    this.revisions.set('$stats-fake', revision);
    this.write({ streamId: '$stats-fake', id: crypto.randomUUID(), type: '$statsCollected', revision, data: '{}', metadata: '' });
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  private toRecorded(e: StoredEvent) {
    return { ...e, data: JSON.parse(e.data) as unknown, metadata: e.metadata ? (JSON.parse(e.metadata) as unknown) : undefined };
  }
}
