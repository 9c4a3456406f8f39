import {
  BACKWARDS,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  NotLeaderError,
  START,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError as EsdbWrongExpectedVersionError,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type ResolvedEvent,
} from '@eventstore/db-client';
import {
  EventStoreUnavailableError,
  WrongExpectedVersionError,
  type AppendResult,
  type EventStore,
  type ExpectedState,
  type NewEvent,
  type ReadAllOptions,
  type RecordedEvent,
  type StreamWrite,
} from '../event-store';
import { esdbEventFilter, matchesEsdbEventFilter } from './esdb-event-filter';
import { planStreamAppend, type StreamAppendPlan } from './plan-stream-append';
import { ResubscribingSubscription } from './resubscribing-subscription';

export interface EsdbEventStoreOptions {
  /**
   * Stream names are stored with this prefix and $all is read filtered on it: several stores can share
   * one server (the conformance suite gets an empty store per test this way). Default: none, and $all
   * is read without system events.
   */
  streamPrefix?: string;
  /** An append not committed by then rejects with EventStoreUnavailableError (ingest: 503). Default 2000. */
  writeTimeoutMs?: number;
}

/** A write that lost a race with another writer is planned again this many times before giving up. */
const MAX_APPEND_ATTEMPTS = 100;
/** headPosition reads $all backwards in pages that grow from the first size (usually enough) to the max. */
const HEAD_FIRST_PAGE = 32;
const HEAD_MAX_PAGE = 4096;
/** readAll waits this long for events the head says exist before reporting the store unavailable. */
const READ_WAIT_MS = 10_000;

type Planned = { write: StreamWrite; plan: StreamAppendPlan };

/**
 * Positions are $all commit positions. Events appended through gRPC (no explicit transactions) have
 * commit = prepare, so a bigint position is a complete $all position again.
 */
const allPosition = (p: bigint) => ({ commit: p, prepare: p });

function unavailable(err: unknown, what: string): unknown {
  if (err instanceof UnavailableError || err instanceof DeadlineExceededError || err instanceof TimeoutError || err instanceof NotLeaderError) {
    return new EventStoreUnavailableError(`${what}: EventStoreDB: ${(err as Error).message}`, err);
  }
  return err;
}

/**
 * The EventStore port on EventStoreDB / KurrentDB (@eventstore/db-client, gRPC).
 *
 * - append: the port skips known event ids and checks named expectations; the server alone cannot skip
 *   ids, so each stream is read, planned (planStreamAppend) and written at the exact revision read.
 *   appendMany checks every stream before writing any, then writes stream by stream (no multi-stream
 *   transaction here; a retried call is safe because known ids are skipped).
 * - readAll: pulled from a catch-up subscription to $all with a server-side filter (readAll of this
 *   client takes no filter), kept open between calls that continue where the last one stopped; the
 *   subscription's stream buffer is the backpressure.
 * - onAppended: after each commit made here, and from a live subscription (appends by other processes),
 *   resubscribed with backoff when it fails.
 */
export class EsdbEventStore implements EventStore {
  private readonly prefix: string;
  private readonly writeTimeoutMs: number;
  private readonly listeners = new Set<() => void>();
  private live: ResubscribingSubscription<AllStreamResolvedEvent> | undefined;
  private reader: CatchUpReader | undefined;
  private reads: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly client: EventStoreDBClient,
    options: EsdbEventStoreOptions,
  ) {
    this.prefix = options.streamPrefix ?? '';
    this.writeTimeoutMs = options.writeTimeoutMs ?? 2000;
  }

  /** Connects (e.g. `esdb://localhost:2113?tls=false`) and checks the server answers. */
  static connect(url: string, options: EsdbEventStoreOptions = {}): Promise<EsdbEventStore> {
    return EsdbEventStore.fromClient(EventStoreDBClient.connectionString(url), options, url);
  }

  /** Over a client made elsewhere (credentials, cluster settings); the store disposes it on close. */
  static async fromClient(client: EventStoreDBClient, options: EsdbEventStoreOptions = {}, where = 'the configured server'): Promise<EsdbEventStore> {
    const store = new EsdbEventStore(client, options);
    try {
      await store.headPosition();
    } catch (err) {
      await store.close();
      throw new Error(`cannot reach EventStoreDB at ${where}: ${(err as Error).message}`, { cause: err });
    }
    return store;
  }

  append(stream: string, events: NewEvent[], expected: ExpectedState = 'any'): Promise<AppendResult> {
    return this.appendMany([{ stream, events, expected }]);
  }

  async appendMany(writes: StreamWrite[]): Promise<AppendResult> {
    // Every expectation is checked before anything is written, so a stale one fails the call as a whole.
    const planned: Planned[] = await Promise.all(writes.map(async (write) => ({ write, plan: await this.plan(write) })));
    const conflict = planned.find((p) => p.plan.kind === 'conflict');
    if (conflict) throw this.conflictError(conflict.write, conflict.plan);
    const results = await Promise.all(planned.map((p) => this.write(p)));
    const appended = results.reduce((n, r) => n + r.appended, 0);
    const lastPosition = results.reduce<bigint | null>((max, r) => (r.lastPosition !== null && (max === null || r.lastPosition > max) ? r.lastPosition : max), null);
    if (appended > 0) this.notify();
    return { appended, lastPosition };
  }

  async readStream(stream: string, options: { fromRevision?: bigint } = {}): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(this.prefix + stream, { fromRevision: options.fromRevision ?? START })) {
        out.push(this.toRecorded(resolved));
      }
    } catch (err) {
      if (err instanceof StreamNotFoundError) return [];
      throw unavailable(err, `reading ${stream} failed`);
    }
    return out;
  }

  /** One pull at a time: concurrent calls would take each other's events from the shared subscription. */
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    const result = this.reads.then(() => this.pull(options));
    this.reads = result.catch(() => undefined);
    return result;
  }

  /**
   * A failed subscription fails the pull; the caller's next pull (the projection runner retries with backoff
   * from its checkpoint) subscribes again: that is the catch-up side's resubscribe loop.
   */
  private async pull(options: ReadAllOptions): Promise<RecordedEvent[]> {
    if (this.reader && this.reader.cursor !== options.after) {
      void this.reader.close();
      this.reader = undefined;
    }
    this.reader ??= new CatchUpReader(
      this.client.subscribeToAll({ fromPosition: options.after === undefined ? START : allPosition(options.after), filter: esdbEventFilter(this.prefix) }, { highWaterMark: 1000 }),
      options.after,
    );
    const reader = this.reader;
    for (;;) {
      const events = reader.take(options.limit).map((e) => this.toRecorded(e));
      if (events.length > 0) return events;
      if (reader.error) {
        this.reader = undefined;
        throw unavailable(reader.error, 'reading $all failed');
      }
      // Nothing buffered: either we are at the head, or the subscription has not delivered yet.
      if ((await this.headPosition()) <= (options.after ?? -1n)) return [];
      if (!(await reader.waitForData(READ_WAIT_MS))) {
        this.reader = undefined;
        void reader.close();
        throw new EventStoreUnavailableError(`reading $all failed: EventStoreDB delivered nothing within ${READ_WAIT_MS} ms`);
      }
    }
  }

  async headPosition(): Promise<bigint> {
    // Newest first, in bounded pages read to their end (leaving a read half-consumed would keep its gRPC call
    // open); system events are skipped client side. Usually the first event is ours.
    let from: typeof END | { commit: bigint; prepare: bigint } = END;
    try {
      for (let size = HEAD_FIRST_PAGE; ; size = Math.min(size * 4, HEAD_MAX_PAGE)) {
        const page: AllStreamResolvedEvent[] = [];
        for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: from, maxCount: size })) page.push(resolved);
        for (const { event } of page) if (event && matchesEsdbEventFilter(this.prefix, event)) return event.position.commit;
        const last = page[page.length - 1]?.event;
        if (page.length < size || !last) return -1n;
        from = last.position;
      }
    } catch (err) {
      throw unavailable(err, 'reading the head of $all failed');
    }
  }

  onAppended(listener: () => void): () => void {
    this.listeners.add(listener);
    if (!this.live && !this.closed) {
      // Started on the first listener (from the end at that moment), so it reports what comes after.
      this.live = new ResubscribingSubscription<AllStreamResolvedEvent>({
        open: (after) => this.client.subscribeToAll({ fromPosition: after === undefined ? END : allPosition(after), filter: esdbEventFilter(this.prefix) }) as AllStreamSubscription,
        positionOf: (e) => e.event?.position.commit,
        onData: () => this.notify(),
        onResubscribed: () => this.notify(),
      });
      this.live.start();
    }
    return () => void this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await this.live?.stop();
    await this.reader?.close();
    await this.client.dispose();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        // a hint: one failing listener must not stop the others or the append
      }
    }
  }

  private async plan(write: StreamWrite): Promise<StreamAppendPlan> {
    const known = await this.readStream(write.stream);
    const revision = known.length ? known[known.length - 1]!.revision : 'no_stream';
    return planStreamAppend(write.events, write.expected ?? 'any', { revision, ids: new Set(known.map((e) => e.id)) });
  }

  private conflictError(write: StreamWrite, plan: StreamAppendPlan): WrongExpectedVersionError {
    return new WrongExpectedVersionError(write.stream, write.expected ?? 'any', plan.kind === 'conflict' ? plan.actual : 'no_stream');
  }

  /** Writes one planned stream; a refusal by the server (a concurrent writer) is planned again. */
  private async write({ write, plan: first }: Planned): Promise<AppendResult> {
    let plan = first;
    for (let attempt = 1; ; attempt++) {
      if (plan.kind === 'skip') return { appended: 0, lastPosition: null };
      if (plan.kind === 'conflict') throw this.conflictError(write, plan);
      try {
        const result = await this.client.appendToStream(
          this.prefix + write.stream,
          plan.events.map((e) => jsonEvent({ id: e.id, type: e.type, data: e.data as never, metadata: (e.metadata ?? {}) as never })),
          { expectedRevision: plan.expectedRevision, deadline: this.writeTimeoutMs },
        );
        if (!result.position) throw new Error('EventStoreDB returned no position for an append: a server of version 20.6 or newer is needed');
        return { appended: plan.events.length, lastPosition: result.position.commit };
      } catch (err) {
        if (!(err instanceof EsdbWrongExpectedVersionError)) throw unavailable(err, `append to ${write.stream} failed`);
        if (attempt >= MAX_APPEND_ATTEMPTS) throw new EventStoreUnavailableError(`append to ${write.stream} failed: ${attempt} attempts lost to concurrent writers`, err);
        plan = await this.plan(write);
      }
    }
  }

  private toRecorded(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent {
    const e = resolved.event;
    if (!e) throw new Error('EventStoreDB returned a link without its event');
    if (!e.position) throw new Error('EventStoreDB returned an event without its $all position: a server of version 22.6 or newer is needed');
    return {
      id: e.id,
      type: e.type,
      stream: e.streamId.slice(this.prefix.length),
      revision: e.revision,
      position: e.position.commit,
      data: e.data,
      metadata: (e.metadata ?? {}) as Record<string, unknown>,
      created: e.created.toISOString(),
    };
  }
}

/**
 * A catch-up subscription to $all read in pulls: its readable side buffers up to highWaterMark events and
 * stops reading from the server when full; `take` pulls from that buffer. `cursor` is the position of the
 * last event taken, so the next readAll that continues from there reuses this subscription.
 */
class CatchUpReader {
  error: Error | undefined;

  constructor(
    private readonly subscription: AllStreamSubscription,
    public cursor: bigint | undefined,
  ) {
    subscription.on('error', (err: Error) => (this.error = err));
    subscription.on('end', () => (this.error ??= new Error('the subscription ended')));
  }

  take(limit: number): AllStreamResolvedEvent[] {
    const out: AllStreamResolvedEvent[] = [];
    while (out.length < limit) {
      const e = this.subscription.read() as AllStreamResolvedEvent | null;
      if (e === null) break;
      if (!e.event) continue;
      out.push(e);
    }
    if (out.length) this.cursor = out[out.length - 1]!.event!.position.commit;
    return out;
  }

  /** Resolves true once something can be read (or the subscription failed), false after timeoutMs. */
  waitForData(timeoutMs: number): Promise<boolean> {
    if (this.subscription.readableLength > 0 || this.error) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.subscription.off('readable', onReadable);
        this.subscription.off('error', onError);
        resolve(value);
      };
      const onReadable = () => done(true);
      const onError = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.subscription.on('readable', onReadable);
      this.subscription.on('error', onError);
    });
  }

  close(): Promise<void> {
    return this.subscription.unsubscribe().catch(() => undefined);
  }
}
