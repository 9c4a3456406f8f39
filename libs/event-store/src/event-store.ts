import type { ReadPartitionOptions } from './read-partition';
/**
 * The event store port. Small on purpose (Emmett/Jaeger style): every adapter passes the same
 * conformance suite (test/conformance/event-store.conformance.ts).
 */

/** Named concurrency states; adapters translate them, raw revisions never leak beyond a bigint. */
export type ExpectedState = 'any' | 'no_stream' | 'stream_exists' | bigint;

export interface NewEvent {
  /** Deterministic ids make retried appends recognisable: a known id is not stored twice. */
  id: string;
  type: string;
  data: unknown;
  /** `JSON.stringify(data)` when the caller already made it (ingest hashes it for the id): saves a second pass. */
  dataJson?: string;
  metadata?: Record<string, unknown>;
}

export interface RecordedEvent<D = unknown, M = Record<string, unknown>> {
  id: string;
  type: string;
  stream: string;
  /** 0-based position in its stream. */
  revision: bigint;
  /** Position in the store-wide log; strictly increasing, may have gaps. */
  position: bigint;
  data: D;
  metadata: M;
  /** ISO 8601 time the store committed the event. */
  created: string;
}

export interface StreamWrite {
  stream: string;
  events: NewEvent[];
  expected?: ExpectedState;
}

export interface AppendResult {
  /** Events newly stored (known ids are skipped, not counted). */
  appended: number;
  /** Global position of the last stored event, or null when nothing new was stored. */
  lastPosition: bigint | null;
}

export class WrongExpectedVersionError extends Error {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedState,
    readonly actual: bigint | 'no_stream',
  ) {
    super(`stream ${stream}: expected ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedVersionError';
  }
}

/** The store cannot take writes right now (down, locked, overloaded): callers answer 503. */
export class EventStoreUnavailableError extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'EventStoreUnavailableError';
  }
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Omit to read from the start. */
  after?: bigint;
  limit: number;
}

export interface EventStore {
  /**
   * Appends to several streams. Returns only once everything is durably committed.
   * Atomic across streams where the store can be (sqlite); otherwise stream by stream, and a
   * retry of the whole call is safe because known event ids are skipped.
   */
  appendMany(writes: StreamWrite[]): Promise<AppendResult>;
  append(stream: string, events: NewEvent[], expected?: ExpectedState): Promise<AppendResult>;
  readStream(stream: string, options?: { fromRevision?: bigint }): Promise<RecordedEvent[]>;
  /** Pull from the global log in batches: the caller's pace is the backpressure. */
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * Optional: one partition of the log up to a position (see readPartition, which callers use and which
   * falls back to filtering readAll). A store implements it when it can skip other partitions' events cheaply.
   */
  readAllPartition?(options: ReadPartitionOptions): Promise<RecordedEvent[]>;
  /**
   * Optional: why this store can never take `event` (EventStoreDB: larger than one append may be), or null.
   * A caller rejects such an item on its own instead of failing, and retrying forever, the whole write.
   */
  rejectsEvent?(event: NewEvent): string | null;
  /**
   * Optional (retention): deletes these whole streams, their events gone from the stream and the log.
   * A soft delete: a later append to a deleted stream starts it again (a late span of an expired trace is
   * kept, as a trace of its own). Deleting a stream that does not exist is a no-op, so a retried call is safe.
   * `ifAt`: a stream named there is deleted only while its newest revision is that one (what the caller read
   * and accounted for); one written to since is left whole, for a later call.
   */
  deleteStreams?(streams: string[], ifAt?: ReadonlyMap<string, bigint>): Promise<void>;
  /**
   * Optional (retention): names of the streams in [from, to), sorted, at most `limit`; a store that cannot
   * list streams (EventStoreDB) leaves it out and callers name the streams they delete.
   */
  listStreams?(range: { from: string; to: string; limit: number }): Promise<string[]>;
  /** Position of the newest event, or -1n for an empty store. */
  headPosition(): Promise<bigint>;
  /** Optional: why writes cannot succeed now (a full disk), or null; /healthz fails with it. */
  writeProblem?(): Promise<string | null>;
  /** Calls back after each commit made through this instance (a hint to wake readers, not a feed). */
  onAppended(listener: () => void): () => void;
  close(): Promise<void>;
}

/** Nest injection token for the EventStore port. */
export const EVENT_STORE = Symbol('EventStore');
