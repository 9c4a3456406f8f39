import {
  ANY,
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  MaxAppendSizeExceededError,
  NotLeaderError,
  START,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError as EsdbWrongExpectedVersionError,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type AppendResult as AppendToStreamResult,
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
import { CatchUpReader } from './catch-up-reader';
import { esdbEventFilter, matchesEsdbEventFilter } from './esdb-event-filter';
import { resolveAppendConflict, type StreamTail } from './resolve-append-conflict';
import { DEFAULT_MAX_APPEND_BYTES, estimateEventBytes, EventTooLargeError, splitAppends, uniqueEvents } from './split-appends';
import { StreamRevisionCache } from './stream-revision-cache';

export interface EsdbEventStoreOptions {
  /**
   * Stream names are stored with this prefix and $all is read filtered on it: several stores can share
   * one server (the conformance suite gets an empty store per test this way). Default: none, and $all
   * is read without system events.
   */
  streamPrefix?: string;
  /**
   * An appendMany not committed by then rejects with EventStoreUnavailableError (ingest: 503); each call to
   * the server inside it gets what is left as its deadline. Default 2000.
   */
  writeTimeoutMs?: number;
  /** Deadline of each read call (a stream, the tail after a conflict, the head). Default 10,000. */
  readTimeoutMs?: number;
  /**
   * Bytes per append, at most the server's MaxAppendSize (1 MiB by default); a stream's events are cut
   * into appends under it. `temps serve` sets it from TEMPS_ESDB_MAX_APPEND_BYTES (checked by its config parser).
   */
  maxAppendBytes?: number;
}

/** Conflicts one stream write may meet (concurrent writers) before the call gives up as unavailable. */
const MAX_APPEND_ATTEMPTS = 20;
/** After a conflict, the tail read back: this many events plus twice the call's own. */
const CONFLICT_WINDOW = 256;
/** Streams written at once by one appendMany (an OTLP request of many traces). */
const WRITE_CONCURRENCY = 32;
/** headPosition without a caught-up reader reads $all backwards in pages that grow from the first size to the max. */
const HEAD_FIRST_PAGE = 32;
const HEAD_MAX_PAGE = 4096;
/** Catch-up readers kept open (one per consumer: serving build, blue/green build, load partitions, probes). */
const MAX_READERS = 8;
/** A reader quiet for this long without having said caughtUp is checked against the head. */
const CAUGHT_UP_GRACE_MS = 1000;
const READER_IDLE_MS = 60_000;

const allPosition = (p: bigint) => ({ commit: p, prepare: p });

function isRetryable(err: unknown): boolean {
  return (
    err instanceof UnavailableError ||
    err instanceof DeadlineExceededError ||
    err instanceof TimeoutError ||
    err instanceof NotLeaderError ||
    err instanceof CancelledError ||
    err instanceof MaxAppendSizeExceededError
  );
}

/** Every failure a client can retry becomes EventStoreUnavailableError (ingest answers 503 + Retry-After). */
function unavailable(err: unknown, what: string): unknown {
  if (err instanceof MaxAppendSizeExceededError) {
    return new EventStoreUnavailableError(
      `${what}: EventStoreDB refused an append as over its MaxAppendSize of ${err.maxAppendSize} bytes; set TEMPS_ESDB_MAX_APPEND_BYTES at or below it`,
      err,
    );
  }
  if (err instanceof EventTooLargeError) return new EventStoreUnavailableError(`${what}: ${err.message}`, err);
  if (isRetryable(err)) return new EventStoreUnavailableError(`${what}: EventStoreDB: ${(err as Error).message}`, err);
  return err;
}

/**
 * The EventStore port on EventStoreDB / KurrentDB (@eventstore/db-client, gRPC).
 *
 * append (per stream, streams of one call in parallel; appends to one stream serialized in this process):
 * - no read before writing: the append goes to the revision this process last saw for the stream (its own
 *   previous append), or `no_stream` for one it has not seen (new traces, new hour buckets: the usual case),
 *   or the caller's exact expectation. One round trip per stream in the common case.
 * - a stream's events are cut into appends under maxAppendBytes, each pinned to the revision the previous
 *   one returned. Event ids are deterministic (ingest), so a retried call is recognised: by the ids this
 *   process remembers, by the server's own idempotency (same ids at the same expected revision), or, after
 *   a conflict, by reading back a bounded tail of the stream (resolveAppendConflict). A call that failed half
 *   way answers 503; its retry stores the rest and nothing twice. (An append the server answers from its own
 *   idempotency looks like any success to the client, so `appended` counts it: a hint, as for onAppended.)
 * - appendMany with expectations on several streams checks them first (one bounded tail read each), so a
 *   stale one fails the call before anything is written; calls with only `any` (ingest) skip that.
 * - every call carries a deadline; every failure a client can retry is EventStoreUnavailableError.
 *
 * readAll: one catch-up subscription per consumer (CatchUpReader), found again by the position the consumer
 * continues from, filtered server side; the client's caughtUp signal says when a consumer is at the head.
 * onAppended: commits made here, and new events arriving on a caught-up reader (other processes' appends):
 * no second subscription to wake the runner.
 */
export class EsdbEventStore implements EventStore {
  private readonly prefix: string;
  private readonly writeTimeoutMs: number;
  private readonly readTimeoutMs: number;
  readonly maxAppendBytes: number;
  private readonly listeners = new Set<() => void>();
  private readonly readers: CatchUpReader[] = [];
  private readonly known = new StreamRevisionCache();
  private readonly streamLocks = new Map<string, Promise<unknown>>();
  private readonly metadataBytes = new WeakMap<object, number>();
  /** Newest position committed through this instance: a reader waits for it (read-your-writes). */
  private localHead = -1n;
  private closed = false;

  private constructor(
    private readonly client: EventStoreDBClient,
    options: EsdbEventStoreOptions,
  ) {
    this.prefix = options.streamPrefix ?? '';
    this.writeTimeoutMs = options.writeTimeoutMs ?? 2000;
    this.readTimeoutMs = options.readTimeoutMs ?? 10_000;
    this.maxAppendBytes = options.maxAppendBytes ?? DEFAULT_MAX_APPEND_BYTES;
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

  async appendMany(input: StreamWrite[]): Promise<AppendResult> {
    if (this.closed) throw new EventStoreUnavailableError('the event store is closed');
    const deadlineAt = Date.now() + this.writeTimeoutMs;
    const writes = input.map((w) => ({ ...w, events: uniqueEvents(w.events) })).filter((w) => w.events.length > 0);
    if (writes.length > 1 && writes.some((w) => (w.expected ?? 'any') !== 'any')) await this.checkExpectations(writes, deadlineAt);
    const results = await inParallel(writes, WRITE_CONCURRENCY, (w) => this.withStreamLock(this.prefix + w.stream, () => this.writeStream(w, deadlineAt)));
    const appended = results.reduce((n, r) => n + r.appended, 0);
    const lastPosition = results.reduce<bigint | null>((max, r) => (r.lastPosition !== null && (max === null || r.lastPosition > max) ? r.lastPosition : max), null);
    if (lastPosition !== null && lastPosition > this.localHead) this.localHead = lastPosition;
    if (appended > 0) this.notify();
    return { appended, lastPosition };
  }

  rejectsEvent(event: NewEvent): string | null {
    return this.sizeOf(event) > this.maxAppendBytes ? `larger than the event store's maximum append size (${this.maxAppendBytes} bytes, TEMPS_ESDB_MAX_APPEND_BYTES)` : null;
  }

  async readStream(stream: string, options: { fromRevision?: bigint } = {}): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(this.prefix + stream, { fromRevision: options.fromRevision ?? START, deadline: this.readTimeoutMs })) {
        out.push(this.toRecorded(resolved));
      }
    } catch (err) {
      if (err instanceof StreamNotFoundError) return [];
      throw unavailable(err, `reading ${stream} failed`);
    }
    return out;
  }

  /**
   * From the consumer's own catch-up reader (the one whose events reach `after`), or a new one subscribed
   * after it. A failed subscription fails the pull; the consumer's next pull (the runner retries with backoff
   * from its checkpoint) subscribes again: that is the resubscribe loop.
   */
  /**
   * Soft deletes (the server's deleteStream), WRITE_CONCURRENCY at a time: a later append starts a stream
   * again (its revisions go on), where a tombstone would refuse every later span of the trace. The events
   * leave $all only when the server scavenges (run one after a sweep: until then a rebuild reads them).
   */
  async deleteStreams(streams: string[], ifAt?: ReadonlyMap<string, bigint>): Promise<void> {
    if (this.closed) throw new EventStoreUnavailableError('the event store is closed');
    await inParallel(streams, WRITE_CONCURRENCY, (stream) =>
      this.withStreamLock(this.prefix + stream, async () => {
        try {
          // The server checks the revision with the delete: a stream written to since is refused, and left whole.
          await this.client.deleteStream(this.prefix + stream, { expectedRevision: ifAt?.get(stream) ?? ANY, deadline: this.writeTimeoutMs });
        } catch (err) {
          if (!(err instanceof StreamNotFoundError) && !(ifAt?.has(stream) && err instanceof EsdbWrongExpectedVersionError)) throw unavailable(err, `deleting ${stream} failed`);
        } finally {
          this.known.forget(this.prefix + stream); // the next append reads where the stream stands
        }
      }),
    );
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    if (this.closed) throw new EventStoreUnavailableError('the event store is closed');
    const reader = this.readerFor(options.after);
    reader.busy = true;
    try {
      const deadline = Date.now() + this.readTimeoutMs;
      for (;;) {
        const events = reader.take(options.after, options.limit);
        if (events.length > 0) return events;
        if (reader.error) throw unavailable(reader.error, 'reading $all failed');
        if (reader.caughtUp && (options.after ?? -1n) >= this.localHead) return [];
        const left = deadline - Date.now();
        if (left <= 0) throw new EventStoreUnavailableError(`reading $all failed: EventStoreDB delivered nothing within ${this.readTimeoutMs} ms`);
        const changed = await reader.waitForData(Math.min(left, CAUGHT_UP_GRACE_MS));
        // A server without the caughtUp signal (before 23.10): quiet for a while, so ask for the head instead.
        if (!changed && !reader.caughtUp && (await this.headPosition()) <= (options.after ?? -1n)) return [];
      }
    } catch (err) {
      this.dropReader(reader);
      throw err;
    } finally {
      reader.busy = false;
      reader.lastUsed = Date.now();
    }
  }

  /**
   * From a caught-up reader when there is one (no round trip); otherwise $all read backwards in bounded
   * pages until the newest event of ours (startup, an ingest-only process).
   */
  async headPosition(): Promise<bigint> {
    let live: bigint | undefined;
    for (const r of this.readers) {
      const h = r.liveHead();
      if (h !== undefined && (live === undefined || h > live)) live = h;
    }
    if (live !== undefined) return live > this.localHead ? live : this.localHead;
    let from: typeof END | { commit: bigint; prepare: bigint } = END;
    try {
      for (let size = HEAD_FIRST_PAGE; ; size = Math.min(size * 4, HEAD_MAX_PAGE)) {
        const page: AllStreamResolvedEvent[] = [];
        for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: from, maxCount: size, deadline: this.readTimeoutMs })) page.push(resolved);
        for (const { event } of page) if (event && matchesEsdbEventFilter(this.prefix, event)) return event.position.commit > this.localHead ? event.position.commit : this.localHead;
        const last = page[page.length - 1]?.event;
        if (page.length < size || !last) return this.localHead;
        from = last.position;
      }
    } catch (err) {
      throw unavailable(err, 'reading the head of $all failed');
    }
  }

  onAppended(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await Promise.all(this.readers.splice(0).map((r) => r.close()));
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

  // --- appends -----------------------------------------------------------------------------------

  /** Appends to one stream run one after another in this process: they would only conflict with each other. */
  private withStreamLock<T>(stream: string, run: () => Promise<T>): Promise<T> {
    const before = this.streamLocks.get(stream) ?? Promise.resolve();
    const result = before.then(run, run);
    const tail = result.catch(() => undefined);
    this.streamLocks.set(stream, tail);
    void tail.then(() => {
      if (this.streamLocks.get(stream) === tail) this.streamLocks.delete(stream);
    });
    return result;
  }

  private sizeOf = (e: NewEvent): number => {
    const metadata = e.metadata ?? {};
    let bytes = this.metadataBytes.get(metadata);
    if (bytes === undefined) this.metadataBytes.set(metadata, (bytes = Buffer.byteLength(JSON.stringify(metadata))));
    return estimateEventBytes(e, bytes);
  };

  private remaining(deadlineAt: number, what: string): number {
    const left = deadlineAt - Date.now();
    if (left <= 0) throw new EventStoreUnavailableError(`${what} failed: not committed within ${this.writeTimeoutMs} ms; retrying is safe`);
    return left;
  }

  /** One stream of a call: its appends in order, each at the revision the previous one returned. */
  private async writeStream(write: StreamWrite, deadlineAt: number): Promise<AppendResult> {
    const name = this.prefix + write.stream;
    const expected = write.expected ?? 'any';
    let appends: NewEvent[][];
    try {
      appends = splitAppends(write.events, this.maxAppendBytes, this.sizeOf);
    } catch (err) {
      throw unavailable(err, `append to ${write.stream} failed`);
    }
    const ownIds = new Set(write.events.map((e) => e.id));
    let cached = this.known.get(name);
    if (!cached && expected === 'stream_exists') {
      // It needs the revision: one bounded tail read, which also shows what of this call is stored already.
      const tail = await this.tailOf(name, write.events.length, deadlineAt);
      if (tail.actual === 'no_stream') throw new WrongExpectedVersionError(write.stream, expected, 'no_stream');
      this.known.record(name, tail.actual, tail.events.map((e) => e.id).filter((id) => ownIds.has(id)));
      cached = this.known.get(name)!;
    }
    const known = new Set<string>(cached ? write.events.filter((e) => cached.ids.has(e.id)).map((e) => e.id) : []);
    if (known.size === write.events.length) return { appended: 0, lastPosition: null };
    let revision: AppendExpectedRevision = typeof expected === 'bigint' || expected === 'no_stream' ? expected : cached ? cached.revision : 'no_stream';
    let appended = 0;
    let lastPosition: bigint | null = null;
    let attempts = 0;
    for (let i = 0; i < appends.length; ) {
      const events = appends[i]!.filter((e) => !known.has(e.id));
      if (events.length === 0) {
        i++;
        continue;
      }
      try {
        const result: AppendToStreamResult = await this.client.appendToStream(
          name,
          events.map((e) => jsonEvent({ id: e.id, type: e.type, data: e.data as never, metadata: (e.metadata ?? {}) as never })),
          { expectedRevision: revision, deadline: this.remaining(deadlineAt, `append to ${write.stream}`) },
        );
        if (!result.position) throw new Error('EventStoreDB returned no position for an append: a server of version 20.6 or newer is needed');
        appended += events.length;
        lastPosition = result.position.commit;
        revision = result.nextExpectedRevision;
        for (const e of events) known.add(e.id);
        this.known.record(name, result.nextExpectedRevision, events.map((e) => e.id));
        i++;
      } catch (err) {
        if (!(err instanceof EsdbWrongExpectedVersionError)) {
          if (isRetryable(err)) this.known.forget(name); // the outcome is unknown: do not trust the cached revision
          throw unavailable(err, `append to ${write.stream} failed`);
        }
        if (++attempts >= MAX_APPEND_ATTEMPTS) throw new EventStoreUnavailableError(`append to ${write.stream} failed: ${attempts} attempts lost to concurrent writers`, err);
        const tail = await this.tailOf(name, write.events.length, deadlineAt);
        for (const e of tail.events) if (ownIds.has(e.id)) known.add(e.id);
        if (tail.actual !== 'no_stream') this.known.record(name, tail.actual, tail.events.map((e) => e.id));
        const next = resolveAppendConflict(expected, appends, tail, known);
        if (next.kind === 'done') break;
        if (next.kind === 'conflict') throw new WrongExpectedVersionError(write.stream, expected, next.actual);
        revision = next.revision < 0n ? 'no_stream' : next.revision;
        i = next.fromAppend;
      }
    }
    return { appended, lastPosition };
  }

  /** The last events of a stream (a window bounded by the call's size), oldest first, and its revision. */
  private async tailOf(name: string, ownEvents: number, deadlineAt: number): Promise<StreamTail> {
    const events: { id: string; revision: bigint }[] = [];
    try {
      for await (const { event } of this.client.readStream(name, {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: CONFLICT_WINDOW + 2 * ownEvents,
        deadline: this.remaining(deadlineAt, `reading ${name} back after a conflict`),
      })) {
        if (event) events.push({ id: event.id, revision: event.revision });
      }
    } catch (err) {
      if (err instanceof StreamNotFoundError) return { actual: 'no_stream', events: [] };
      throw unavailable(err, `reading ${name} back after a conflict failed`);
    }
    events.reverse();
    return { actual: events.length ? events[events.length - 1]!.revision : 'no_stream', events };
  }

  /**
   * appendMany over several streams with expectations: each expectation is checked against the stream's
   * tail before anything is written, so a stale one fails the whole call (the server has no multi-stream
   * transaction; a writer racing in between can still make a later stream of the call conflict).
   */
  private async checkExpectations(writes: StreamWrite[], deadlineAt: number): Promise<void> {
    const checks = await Promise.all(
      writes
        .filter((w) => (w.expected ?? 'any') !== 'any')
        .map(async (w) => {
          const name = this.prefix + w.stream;
          const tail = await this.tailOf(name, w.events.length, deadlineAt);
          const known = new Set(tail.events.map((e) => e.id));
          if (tail.actual !== 'no_stream') this.known.record(name, tail.actual, known);
          const appends = splitAppends(w.events, this.maxAppendBytes, this.sizeOf);
          const expected = w.expected ?? 'any';
          // The state as it is now: a conflict here means the write could not go through as asked.
          const holds = expected === 'stream_exists' ? tail.actual !== 'no_stream' : expected === 'no_stream' ? tail.actual === 'no_stream' : tail.actual === expected;
          const resolution = holds ? ({ kind: 'ok' } as const) : resolveAppendConflict(expected, appends, tail, known);
          return { w, resolution };
        }),
    );
    const conflict = checks.find((c) => c.resolution.kind === 'conflict');
    if (conflict && conflict.resolution.kind === 'conflict') throw new WrongExpectedVersionError(conflict.w.stream, conflict.w.expected ?? 'any', conflict.resolution.actual);
  }

  // --- reads -------------------------------------------------------------------------------------

  private readerFor(after: bigint | undefined): CatchUpReader {
    const now = Date.now();
    for (const r of [...this.readers]) if (!r.busy && (r.error || now - r.lastUsed > READER_IDLE_MS)) this.dropReader(r);
    const found = this.readers.find((r) => !r.busy && r.covers(after));
    if (found) return found;
    while (this.readers.length >= MAX_READERS) {
      const idle = this.readers.filter((r) => !r.busy).sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (!idle) break;
      this.dropReader(idle);
    }
    const subscription = this.client.subscribeToAll(
      { fromPosition: after === undefined ? START : allPosition(after), filter: esdbEventFilter(this.prefix) },
      { highWaterMark: 1000 },
    ) as AllStreamSubscription;
    const reader = new CatchUpReader(subscription, after, (e) => this.toRecorded(e), () => this.notify());
    this.readers.push(reader);
    return reader;
  }

  private dropReader(reader: CatchUpReader): void {
    const i = this.readers.indexOf(reader);
    if (i >= 0) this.readers.splice(i, 1);
    void reader.close();
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

/** Runs `run` over items with at most `limit` at once; waits for all, then fails with the first error. */
async function inParallel<T, R>(items: T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let firstError: { err: unknown } | undefined;
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = await run(items[i]!);
      } catch (err) {
        firstError ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (firstError) throw firstError.err;
  return results;
}
