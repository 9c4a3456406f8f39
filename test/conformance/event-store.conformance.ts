/**
 * THE event store conformance suite (Jaeger storage-integration style): every EventStore adapter runs
 * exactly this, and its own spec file only wires a factory.
 *
 * Factory contract: each call returns a fresh, EMPTY store that the suite owns and closes after the test.
 * Apart from the "empty store" case, tests only look at streams and event ids they created themselves
 * (a per-test stream prefix, UUID event ids) and at the log after the head they saw when they started,
 * so an adapter against a shared server can still run most of the suite.
 */
import { randomUUID } from 'node:crypto';
import {
  EventStoreUnavailableError,
  readPartition,
  streamPartition,
  WrongExpectedVersionError,
  type AppendResult,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
  type StreamWrite,
} from '@temps/event-store';
import { hex, traceWrite } from '../support/span-events';
import { readWholeLog, traceReadModelOf } from '../support/trace-read-model-of';

type Spec = {
  /** The store under test, fresh for each test. */
  store: () => EventStore;
  /** A stream name unique to the running test. */
  stream: (name: string) => string;
  options: ConformanceOptions;
};

export interface ConformanceOptions {
  /** The largest event the store can take (EventStoreDB: its append size); the large-event test stays under it. */
  maxEventBytes?: number;
  /** A deleted stream's events stay in the global log until the server scavenges (a real EventStoreDB). */
  deletedEventsStayInLogUntilScavenge?: boolean;
  /** The adapter's crash test hook; absent (a real server), the crash cases are skipped, visibly. */
  crashes?: CrashHook;
}

/**
 * What the crash cases need of an adapter: a store whose next appendMany can be made to crash at one of
 * its write steps, and the same storage opened again as a new process would.
 */
export interface CrashHook {
  /** A fresh, empty store (the cases also open a clean one this way to compare with). */
  open(): Promise<CrashableStore>;
  /**
   * A crash leaves all of a call or nothing of it (one transaction): nothing at every step but the last
   * (after the commit, before the acknowledgement), which leaves all. Else a crash may leave a prefix of
   * each stream's events (one append per chunk), more the later the step.
   */
  atomic: boolean;
  /**
   * A retry may count (in `appended`, with a lastPosition) events the server already held, when the process
   * does not know where the stream stands (a new process, or one whose append's outcome was unknown):
   * EventStoreDB answers a re-append of a stream's first events as a plain success, the same reply as a
   * new write. Reads must still show each event once; `appended` is then only bounded.
   */
  retryMayCountStoredEvents?: boolean;
}

export interface CrashableStore {
  store: EventStore;
  /** The next appendMany crashes at its write step `step` (1-based); it must then reject as unavailable. */
  crashAt(step: number): void;
  /** Whether the crash armed last happened. One that did not (the call has fewer steps) is disarmed. */
  crashed(): boolean;
  /** The same storage opened by another process (it knows nothing of this one's appends). */
  reopen(): Promise<EventStore>;
  /** Closes every store it opened and removes their storage. */
  dispose(): Promise<void>;
}

export function describeEventStoreConformance(name: string, factory: () => Promise<EventStore>, options: ConformanceOptions = {}): void {
  describe(`EventStore conformance: ${name}`, () => {
    let store: EventStore | undefined;
    let prefix = '';

    beforeEach(async () => {
      prefix = `conf${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      store = await factory();
    });
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    const spec: Spec = {
      store: () => {
        if (!store) throw new Error('no store: the factory did not run');
        return store;
      },
      stream: (s) => `${prefix}-${s}`,
      options,
    };

    describe('append and readStream', () => appendAndReadStream(spec));
    describe('expected states', () => expectedStates(spec));
    describe('idempotent retries', () => idempotentRetries(spec));
    describe('readAll', () => readAll(spec));
    describe('readPartition', () => readPartitions(spec));
    describe('headPosition', () => headPosition(spec));
    describe('data and metadata round-trip', () => roundTrip(spec));
    describe('onAppended', () => onAppended(spec));
    describe('large streams', () => largeStreams(spec));
    describe('concurrent appends', () => concurrency(spec));
    describe('deleteStreams (retention)', () => deletion(spec));
    describe('a crash at every write step of a multi-stream, multi-chunk append, then recovery', () => crashRecovery(options.crashes));
  });
}

// ---------------------------------------------------------------------------------------------------
// helpers

function newEvent(data: unknown = { n: Math.random() }, metadata?: Record<string, unknown>, type = 'TestEvent'): NewEvent {
  return metadata === undefined ? { id: randomUUID(), type, data } : { id: randomUUID(), type, data, metadata };
}

function newEvents(count: number, label = 'e'): NewEvent[] {
  return Array.from({ length: count }, (_, i) => newEvent({ label, i }));
}

/** Pages through the log after `after` (exclusive) until it runs dry. */
async function readAllPages(store: EventStore, after: bigint, limit: number): Promise<{ events: RecordedEvent[]; pages: RecordedEvent[][] }> {
  const events: RecordedEvent[] = [];
  const pages: RecordedEvent[][] = [];
  let cursor: bigint | undefined = after < 0n ? undefined : after;
  for (;;) {
    const page = await store.readAll(cursor === undefined ? { limit } : { after: cursor, limit });
    if (page.length === 0) return { events, pages };
    pages.push(page);
    events.push(...page);
    cursor = page[page.length - 1]!.position;
  }
}

async function expectConflict(promise: Promise<unknown>, stream: string): Promise<WrongExpectedVersionError> {
  const err = await promise.then(
    () => {
      throw new Error(`expected a WrongExpectedVersionError for ${stream}, the append succeeded`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WrongExpectedVersionError);
  expect((err as WrongExpectedVersionError).stream).toBe(stream);
  return err as WrongExpectedVersionError;
}

function expectContiguousRevisions(events: RecordedEvent[]): void {
  expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => BigInt(i)));
}

function expectStrictlyIncreasingPositions(events: RecordedEvent[]): void {
  for (let i = 1; i < events.length; i++) expect(events[i]!.position > events[i - 1]!.position).toBe(true);
}

// ---------------------------------------------------------------------------------------------------
// specifications

function appendAndReadStream({ store, stream }: Spec): void {
  it('given a new stream, when three events are appended, then readStream returns them in order with revisions 0..2', async () => {
    // given
    const s = stream('order');
    const events = [newEvent({ step: 1 }, undefined, 'A'), newEvent({ step: 2 }, undefined, 'B'), newEvent({ step: 3 }, undefined, 'C')];
    // when
    const result = await store().append(s, events);
    // then
    const read = await store().readStream(s);
    expect(read.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(read.map((e) => e.type)).toEqual(['A', 'B', 'C']);
    expect(read.map((e) => e.data)).toEqual([{ step: 1 }, { step: 2 }, { step: 3 }]);
    expect(read.every((e) => e.stream === s)).toBe(true);
    expectContiguousRevisions(read);
    expectStrictlyIncreasingPositions(read);
    expect(result).toEqual({ appended: 3, lastPosition: read[2]!.position });
  });

  it('given a stream with events, when more are appended, then revisions continue and fromRevision reads the tail', async () => {
    // given
    const s = stream('continue');
    const first = newEvents(2, 'first');
    await store().append(s, first);
    // when
    const second = newEvents(3, 'second');
    await store().append(s, second);
    // then
    const all = await store().readStream(s);
    expect(all.map((e) => e.id)).toEqual([...first, ...second].map((e) => e.id));
    expectContiguousRevisions(all);
    const tail = await store().readStream(s, { fromRevision: 2n });
    expect(tail.map((e) => e.id)).toEqual(second.map((e) => e.id));
    expect(tail.map((e) => e.revision)).toEqual([2n, 3n, 4n]);
    expect(await store().readStream(s, { fromRevision: 5n })).toEqual([]);
  });

  it('given nothing, when an unknown stream is read, then it is empty', async () => {
    expect(await store().readStream(stream('never-written'))).toEqual([]);
  });

  it('given an appended event, then it carries an ISO 8601 commit time, a bigint revision and a bigint position', async () => {
    const before = Date.now();
    const s = stream('created');
    await store().append(s, [newEvent()]);
    const [e] = await store().readStream(s);
    expect(typeof e!.revision).toBe('bigint');
    expect(typeof e!.position).toBe('bigint');
    expect(e!.created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
    const t = Date.parse(e!.created);
    expect(t).toBeGreaterThanOrEqual(before - 60_000); // generous: a server clock may differ a little
    expect(t).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('given several streams, when appendMany writes them, then each stream gets its own revisions and appended counts all', async () => {
    const a = stream('many-a');
    const b = stream('many-b');
    const result = await store().appendMany([
      { stream: a, events: newEvents(2, 'a') },
      { stream: b, events: newEvents(3, 'b') },
    ]);
    expect(result.appended).toBe(5);
    const readA = await store().readStream(a);
    const readB = await store().readStream(b);
    expectContiguousRevisions(readA);
    expectContiguousRevisions(readB);
    expect(readA).toHaveLength(2);
    expect(readB).toHaveLength(3);
    const maxPosition = [...readA, ...readB].reduce((m, e) => (e.position > m ? e.position : m), -1n);
    expect(result.lastPosition).toBe(maxPosition);
  });
}

function expectedStates({ store, stream }: Spec): void {
  describe('no_stream', () => {
    it('given a new stream, when appending with no_stream, then it succeeds', async () => {
      const s = stream('no-stream-ok');
      await expect(store().append(s, newEvents(2), 'no_stream')).resolves.toMatchObject({ appended: 2 });
      expect(await store().readStream(s)).toHaveLength(2);
    });

    it('given an existing stream, when appending with no_stream, then it throws WrongExpectedVersionError and writes nothing', async () => {
      // given
      const s = stream('no-stream-conflict');
      await store().append(s, newEvents(2));
      const head = await store().headPosition();
      // when
      const err = await expectConflict(store().append(s, newEvents(1), 'no_stream'), s);
      // then
      expect(err.expected).toBe('no_stream');
      expect(err.actual).toBe(1n);
      expect(await store().readStream(s)).toHaveLength(2);
      expect(await store().headPosition()).toBe(head);
    });
  });

  describe('stream_exists', () => {
    it('given a new stream, when appending with stream_exists, then it throws and the stream stays empty', async () => {
      const s = stream('exists-conflict');
      const err = await expectConflict(store().append(s, newEvents(1), 'stream_exists'), s);
      expect(err.expected).toBe('stream_exists');
      expect(err.actual).toBe('no_stream');
      expect(await store().readStream(s)).toEqual([]);
    });

    it('given an existing stream, when appending with stream_exists, then it succeeds', async () => {
      const s = stream('exists-ok');
      await store().append(s, newEvents(1));
      await expect(store().append(s, newEvents(1), 'stream_exists')).resolves.toMatchObject({ appended: 1 });
      expect(await store().readStream(s)).toHaveLength(2);
    });
  });

  describe('exact revision', () => {
    it('given a stream at revision 2, when appending expecting 2, then it succeeds', async () => {
      const s = stream('exact-ok');
      await store().append(s, newEvents(3));
      await expect(store().append(s, newEvents(1), 2n)).resolves.toMatchObject({ appended: 1 });
      expect((await store().readStream(s)).map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n]);
    });

    it.each([
      ['behind', 1n],
      ['ahead', 5n],
    ])('given a stream at revision 2, when appending expecting a revision %s (%s), then it throws and writes nothing', async (_label, expected) => {
      const s = stream('exact-conflict');
      await store().append(s, newEvents(3));
      const err = await expectConflict(store().append(s, newEvents(1), expected), s);
      expect(err.expected).toBe(expected);
      expect(err.actual).toBe(2n);
      expect(await store().readStream(s)).toHaveLength(3);
    });

    it('given a new stream, when appending expecting revision 0, then it throws (actual no_stream)', async () => {
      const s = stream('exact-new');
      const err = await expectConflict(store().append(s, newEvents(1), 0n), s);
      expect(err.actual).toBe('no_stream');
      expect(await store().readStream(s)).toEqual([]);
    });
  });

  describe('any', () => {
    it('given a new or an existing stream, when appending with any (or no expectation), then it always succeeds', async () => {
      const s = stream('any');
      await store().append(s, newEvents(1), 'any');
      await store().append(s, newEvents(1), 'any');
      await store().append(s, newEvents(1));
      await store().appendMany([{ stream: s, events: newEvents(1) }]);
      expectContiguousRevisions(await store().readStream(s));
      expect(await store().readStream(s)).toHaveLength(4);
    });
  });

  it('given a conflict in one stream, when appendMany writes several streams, then none of them is written', async () => {
    // given
    const ok1 = stream('batch-ok-1');
    const ok2 = stream('batch-ok-2');
    const conflicting = stream('batch-conflict');
    await store().append(conflicting, newEvents(1));
    await store().append(ok2, newEvents(1));
    const head = await store().headPosition();
    // when: the conflicting write sits between two valid ones
    const writes: StreamWrite[] = [
      { stream: ok1, events: newEvents(2), expected: 'no_stream' },
      { stream: conflicting, events: newEvents(1), expected: 'no_stream' },
      { stream: ok2, events: newEvents(2), expected: 0n },
    ];
    await expectConflict(store().appendMany(writes), conflicting);
    // then
    expect(await store().readStream(ok1)).toEqual([]);
    expect(await store().readStream(ok2)).toHaveLength(1);
    expect(await store().readStream(conflicting)).toHaveLength(1);
    expect(await store().headPosition()).toBe(head);
    // and the same writes go through once the conflict is gone
    await expect(store().appendMany([writes[0]!, { ...writes[1]!, expected: 0n }, writes[2]!])).resolves.toMatchObject({ appended: 5 });
  });
}

function idempotentRetries({ store, stream }: Spec): void {
  it('given an acknowledged append, when the same append is retried, then nothing is stored twice and appended is 0', async () => {
    // given
    const s = stream('retry');
    const events = newEvents(3);
    const first = await store().append(s, events);
    // when
    const retry = await store().append(s, events);
    // then
    expect(first.appended).toBe(3);
    expect(retry).toEqual({ appended: 0, lastPosition: null });
    const read = await store().readStream(s);
    expect(read.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expectContiguousRevisions(read);
  });

  it('given some known events, when a retry mixes known and new ids, then only the new ones are stored and counted', async () => {
    // given
    const s = stream('retry-mixed');
    const known = newEvents(2, 'known');
    await store().append(s, known);
    // when
    const fresh = newEvents(2, 'fresh');
    const result = await store().append(s, [known[0]!, fresh[0]!, known[1]!, fresh[1]!]);
    // then
    expect(result.appended).toBe(2);
    const read = await store().readStream(s);
    expect(read.map((e) => e.id)).toEqual([...known, ...fresh].map((e) => e.id));
    expectContiguousRevisions(read);
    expect(result.lastPosition).toBe(read[3]!.position);
  });

  it('given an appendMany that committed but whose ack was lost, when the whole call is retried, then it succeeds without new events', async () => {
    // given: the first attempt used concurrency checks that no longer hold after it committed
    const a = stream('retry-many-a');
    const b = stream('retry-many-b');
    const writes: StreamWrite[] = [
      { stream: a, events: newEvents(2), expected: 'no_stream' },
      { stream: b, events: newEvents(3), expected: 'no_stream' },
    ];
    await store().appendMany(writes);
    const head = await store().headPosition();
    // when
    const retry: AppendResult = await store().appendMany(writes);
    // then
    expect(retry).toEqual({ appended: 0, lastPosition: null });
    expect(await store().readStream(a)).toHaveLength(2);
    expect(await store().readStream(b)).toHaveLength(3);
    expect(await store().headPosition()).toBe(head);
  });

  it('given known events, when a retry carries new events and a stale expectation, then it still conflicts', async () => {
    const s = stream('retry-stale');
    const known = newEvents(1);
    await store().append(s, known, 'no_stream');
    await expectConflict(store().append(s, [...known, newEvent()], 'no_stream'), s);
    expect(await store().readStream(s)).toHaveLength(1);
  });
}

function readAll({ store, stream }: Spec): void {
  it('given many interleaved streams, when paging readAll with an exclusive after, then every event comes exactly once in increasing position order', async () => {
    // given: 25 streams x 12 events, written in 6 interleaved appendMany rounds
    const start = await store().headPosition();
    const streams = Array.from({ length: 25 }, (_, i) => stream(`all-${i}`));
    const written: string[] = [];
    for (let round = 0; round < 6; round++) {
      const writes = streams.map((s) => ({ stream: s, events: newEvents(2, `r${round}`) }));
      writes.forEach((w) => written.push(...w.events.map((e) => e.id)));
      await store().appendMany(round % 2 ? writes.reverse() : writes);
    }
    // when
    const { events, pages } = await readAllPages(store(), start, 7);
    // then
    const ours = events.filter((e) => streams.includes(e.stream));
    expect(ours).toHaveLength(written.length);
    expect(new Set(ours.map((e) => e.id))).toEqual(new Set(written));
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expectStrictlyIncreasingPositions(events);
    expect(pages.every((p) => p.length <= 7)).toBe(true);
    expect(events.every((e) => e.position > start)).toBe(true);
    for (const s of streams) expectContiguousRevisions(ours.filter((e) => e.stream === s));
  });

  it('given a position in the middle, when reading after it, then only strictly later events come back', async () => {
    const start = await store().headPosition();
    const s = stream('after');
    await store().append(s, newEvents(10));
    const read = await store().readStream(s);
    const middle = read[4]!.position;
    const { events } = await readAllPages(store(), middle, 100);
    const ours = events.filter((e) => e.stream === s);
    expect(ours.map((e) => e.revision)).toEqual([5n, 6n, 7n, 8n, 9n]);
    expect(events.every((e) => e.position > middle)).toBe(true);
    expect(start < middle).toBe(true);
  });

  it('given a limit, when reading, then at most limit events come back, the first ones first', async () => {
    const start = await store().headPosition();
    const s = stream('limit');
    await store().append(s, newEvents(5));
    const page = await store().readAll(start < 0n ? { limit: 3 } : { after: start, limit: 3 });
    expect(page).toHaveLength(3);
    const read = await store().readStream(s);
    expect(page.map((e) => e.id)).toEqual(read.slice(0, 3).map((e) => e.id));
  });

  it('given the head, when reading after it, then nothing comes back', async () => {
    await store().append(stream('tail'), newEvents(3));
    const head = await store().headPosition();
    expect(await store().readAll({ after: head, limit: 10 })).toEqual([]);
  });

  it('given readAll events, then they equal what readStream returns for the same events', async () => {
    const start = await store().headPosition();
    const s = stream('same-shape');
    await store().append(s, [newEvent({ x: [1, 2] }, { m: 'meta' }, 'Shaped')]);
    const [fromStream] = await store().readStream(s);
    const { events } = await readAllPages(store(), start, 50);
    expect(events.find((e) => e.id === fromStream!.id)).toEqual(fromStream);
  });
}

function readPartitions({ store, stream }: Spec): void {
  it('given interleaved streams, when each of 3 partitions is paged up to a position, then together they hold every event up to it exactly once, each stream whole in one partition, in position order', async () => {
    const start = await store().headPosition();
    const streams = Array.from({ length: 12 }, (_, i) => stream(`part-${i}`));
    for (let round = 0; round < 3; round++) await store().appendMany(streams.map((s) => ({ stream: s, events: newEvents(2, `r${round}`) })));
    const until = await store().headPosition();
    await store().append(stream('part-after'), newEvents(4)); // past `until`: must not come back
    const all = (await readAllPages(store(), start, 1000)).events.filter((e) => e.position <= until);

    const parts: RecordedEvent[][] = [];
    for (let index = 0; index < 3; index++) {
      const got: RecordedEvent[] = [];
      let after: bigint | undefined = start < 0n ? undefined : start;
      for (;;) {
        const page = await readPartition(store(), { after, limit: 5, until, partition: { index, count: 3 } });
        expect(page.length).toBeLessThanOrEqual(5);
        if (page.length === 0) break;
        got.push(...page);
        after = page[page.length - 1]!.position;
      }
      expectStrictlyIncreasingPositions(got);
      expect(got.every((e) => streamPartition(e.stream, 3) === index && e.position > start && e.position <= until)).toBe(true);
      parts.push(got);
    }
    const merged = parts.flat().sort((a, b) => (a.position < b.position ? -1 : 1));
    expect(merged).toEqual(all);
    expect(new Set(streams.map((s) => streamPartition(s, 3))).size).toBeGreaterThan(1); // the streams really spread
  });

  it('given a bad partition, then readPartition refuses it with a clear error', async () => {
    await expect(readPartition(store(), { limit: 5, until: 0n, partition: { index: 3, count: 3 } })).rejects.toThrow(/0 <= index < count/);
  });
}

function headPosition({ store, stream }: Spec): void {
  it('given an empty store, then headPosition is -1n and readAll is empty', async () => {
    expect(await store().headPosition()).toBe(-1n);
    expect(await store().readAll({ limit: 10 })).toEqual([]);
  });

  it('given writes, then headPosition is the position of the newest event and the last append result', async () => {
    const a = await store().append(stream('head-a'), newEvents(2));
    expect(await store().headPosition()).toBe(a.lastPosition);
    const b = await store().append(stream('head-b'), newEvents(3));
    expect(b.lastPosition! > a.lastPosition!).toBe(true);
    expect(await store().headPosition()).toBe(b.lastPosition);
    const [last] = (await store().readStream(stream('head-b'), { fromRevision: 2n })).slice(-1);
    expect(last!.position).toBe(b.lastPosition);
  });

  it('given a rejected or duplicate-only append, then headPosition does not move', async () => {
    const s = stream('head-still');
    const events = newEvents(2);
    await store().append(s, events);
    const head = await store().headPosition();
    await store().append(s, events);
    await expectConflict(store().append(s, newEvents(1), 'no_stream'), s);
    expect(await store().headPosition()).toBe(head);
  });
}

function roundTrip({ store, stream, options }: Spec): void {
  it('given nested JSON data and metadata, when read back, then they are deeply equal', async () => {
    const s = stream('json');
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 40; i++) deep = { level: i, child: deep, list: [i, { i }] };
    const data = {
      string: 'plain',
      integer: 42,
      negative: -7,
      float: 3.14159,
      tiny: 1e-12,
      big: 9007199254740991,
      zero: 0,
      yes: true,
      no: false,
      nothing: null,
      empty: {},
      emptyList: [],
      list: [1, 'two', { three: [3] }, null, false],
      deep,
    };
    const metadata = { projectId: 'p1', receivedAt: '2026-01-01T00:00:00.000Z', nested: { tags: ['a', 'b'], n: 1 } };
    await store().append(s, [{ id: randomUUID(), type: 'Json', data, metadata }]);
    const [e] = await store().readStream(s);
    expect(e!.data).toEqual(data);
    expect(e!.metadata).toEqual(metadata);
  });

  it('given unicode text, when read back, then every code point survives', async () => {
    const s = stream('unicode');
    const text = 'héllo wörld · 日本語 · 中文 · 한국어 · العربية · עברית · Ελληνικά · 🚀🧠👩‍💻🏳️‍🌈 · e\u0301 · \u0000nul · tab\tnew\nline · "quotes" \\ back';
    const data = { text, [text]: 'as a key', list: [...text] };
    await store().append(s, [newEvent(data, { note: text }, 'Unicode')]);
    const [e] = await store().readStream(s);
    expect(e!.data).toEqual(data);
    expect(e!.metadata).toEqual({ note: text });
  });

  it('given a large string, when read back, then it is intact', async () => {
    const s = stream('big');
    const size = Math.min(512 * 1024, Math.floor((options.maxEventBytes ?? Infinity) / 2));
    const big = 'x'.repeat(size) + '🚀'.repeat(Math.min(1024, size >> 4)) + 'end';
    await store().append(s, [newEvent({ big })]);
    const [e] = await store().readStream(s);
    expect((e!.data as { big: string }).big).toBe(big);
  });

  it('given an event without metadata, when read back, then metadata is an empty object', async () => {
    const s = stream('no-meta');
    await store().append(s, [{ id: randomUUID(), type: 'NoMeta', data: { a: 1 } }]);
    const [e] = await store().readStream(s);
    expect(e!.metadata).toEqual({});
  });
}

function onAppended({ store, stream }: Spec): void {
  it('given a listener, when an append commits, then the listener fires and a read it starts sees the new events', async () => {
    // given
    const s = stream('listener');
    const seen: Promise<RecordedEvent[]>[] = [];
    const unsubscribe = store().onAppended(() => seen.push(store().readStream(s)));
    // when
    const events = newEvents(2);
    await store().append(s, events);
    // then
    expect(seen.length).toBeGreaterThanOrEqual(1);
    const readInListener = await seen[0]!;
    expect(readInListener.map((e) => e.id)).toEqual(events.map((e) => e.id));
    unsubscribe();
  });

  it('given an unsubscribed listener, when appending, then it is not called', async () => {
    let calls = 0;
    const unsubscribe = store().onAppended(() => calls++);
    await store().append(stream('unsub'), newEvents(1));
    const afterFirst = calls;
    unsubscribe();
    await store().append(stream('unsub'), newEvents(1));
    expect(afterFirst).toBeGreaterThanOrEqual(1);
    expect(calls).toBe(afterFirst);
  });

  it('given a throwing listener, when appending, then the append still succeeds and other listeners still fire', async () => {
    let calls = 0;
    store().onAppended(() => {
      throw new Error('listener failure');
    });
    store().onAppended(() => calls++);
    const s = stream('throwing-listener');
    await expect(store().append(s, newEvents(1))).resolves.toMatchObject({ appended: 1 });
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(await store().readStream(s)).toHaveLength(1);
  });

  it('given a conflicting append, then no listener fires for it', async () => {
    const s = stream('listener-conflict');
    await store().append(s, newEvents(1));
    let calls = 0;
    store().onAppended(() => calls++);
    await expectConflict(store().append(s, newEvents(1), 'no_stream'), s);
    expect(calls).toBe(0);
  });
}

function largeStreams({ store, stream }: Spec): void {
  it('given a 10k-event stream, when read back, then it is complete and in order', async () => {
    // given
    const s = stream('ten-k');
    const ids: string[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const events = Array.from({ length: 500 }, (_, i) => newEvent({ n: batch * 500 + i, pad: 'p'.repeat(64) }));
      ids.push(...events.map((e) => e.id));
      await store().append(s, events, batch === 0 ? 'no_stream' : BigInt(batch * 500 - 1));
    }
    // when
    const read = await store().readStream(s);
    // then
    expect(read).toHaveLength(10_000);
    expect(read.map((e) => e.id)).toEqual(ids);
    expectContiguousRevisions(read);
    expectStrictlyIncreasingPositions(read);
    expect(read.every((e, i) => (e.data as { n: number }).n === i)).toBe(true);
    const tail = await store().readStream(s, { fromRevision: 9_990n });
    expect(tail.map((e) => e.revision)).toEqual(Array.from({ length: 10 }, (_, i) => 9_990n + BigInt(i)));
  });
}

function concurrency({ store, stream }: Spec): void {
  it('given 20 concurrent appendMany calls over shared and own streams, then no event is lost or duplicated', async () => {
    // given
    const start = await store().headPosition();
    const shared = [stream('shared-0'), stream('shared-1'), stream('shared-2')];
    const calls = Array.from({ length: 20 }, (_, c) => [
      ...shared.map((s) => ({ stream: s, events: newEvents(5, `c${c}`), expected: 'any' as const })),
      { stream: stream(`own-${c}`), events: newEvents(10, `own${c}`), expected: 'no_stream' as const },
    ]);
    // when
    const results = await Promise.all(calls.map((writes) => store().appendMany(writes)));
    // then
    expect(results.reduce((n, r) => n + r.appended, 0)).toBe(20 * 25);
    const expectedIds = calls.flatMap((w) => w.flatMap((x) => x.events.map((e) => e.id)));
    const { events } = await readAllPages(store(), start, 97);
    const ours = events.filter((e) => e.stream.startsWith(stream('')));
    expect(ours).toHaveLength(expectedIds.length);
    expect(new Set(ours.map((e) => e.id))).toEqual(new Set(expectedIds));
    expect(new Set(events.map((e) => e.position)).size).toBe(events.length);
    expectStrictlyIncreasingPositions(events);
    for (const s of shared) {
      const read = await store().readStream(s);
      expect(read).toHaveLength(100);
      expectContiguousRevisions(read);
    }
    for (let c = 0; c < 20; c++) {
      const read = await store().readStream(stream(`own-${c}`));
      expect(read.map((e) => e.id)).toEqual(calls[c]![3]!.events.map((e) => e.id));
    }
  });

  it('given concurrent appendMany calls of which some carry a stale expectation, then only those fail, each as a whole, and every other call commits', async () => {
    // given
    const taken = stream('taken');
    const shared = stream('burst-shared');
    await store().append(taken, newEvents(1));
    const stale = new Set([2, 5, 9]);
    const calls: StreamWrite[][] = Array.from({ length: 12 }, (_, c) => [
      { stream: stream(`burst-own-${c}`), events: newEvents(3, `own${c}`), expected: 'no_stream' },
      stale.has(c) ? { stream: taken, events: newEvents(1, `stale${c}`), expected: 'no_stream' } : { stream: shared, events: newEvents(2, `s${c}`), expected: 'any' },
    ]);
    // when
    const settled = await Promise.allSettled(calls.map((writes) => store().appendMany(writes)));
    // then
    for (let c = 0; c < calls.length; c++) {
      const r = settled[c]!;
      const own = await store().readStream(stream(`burst-own-${c}`));
      if (stale.has(c)) {
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
        expect((r as PromiseRejectedResult).reason.stream).toBe(taken);
        expect(own).toEqual([]); // the call's other write is rolled back with it
      } else {
        expect(r).toMatchObject({ status: 'fulfilled', value: { appended: 5 } });
        expect(own.map((e) => e.id)).toEqual(calls[c]![0]!.events.map((e) => e.id));
      }
    }
    expect(await store().readStream(taken)).toHaveLength(1);
    const sharedRead = await store().readStream(shared);
    expect(sharedRead).toHaveLength(2 * (calls.length - stale.size));
    expectContiguousRevisions(sharedRead);
  });

  it('given a burst mixing a duplicate-only retry with a stale expectation, a conflict and an exact-revision append, then each gets its own answer', async () => {
    // given
    const s = stream('burst-mixed');
    const first = newEvents(2, 'first');
    await store().append(s, first, 'no_stream');
    // when: all three at once
    const [retry, conflict, next] = await Promise.allSettled([
      store().append(s, first, 'no_stream'), // a retried call: a no-op success even though no_stream no longer holds
      store().append(s, newEvents(1, 'conflict'), 'no_stream'),
      store().append(s, newEvents(1, 'next'), 1n),
    ]);
    // then
    expect(retry).toEqual({ status: 'fulfilled', value: { appended: 0, lastPosition: null } });
    expect(conflict.status).toBe('rejected');
    expect((conflict as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
    expect(next).toMatchObject({ status: 'fulfilled', value: { appended: 1 } });
    const read = await store().readStream(s);
    expect(read).toHaveLength(3);
    expectContiguousRevisions(read);
  });

  it('given 10 concurrent no_stream appends to one new stream, then exactly one wins and the rest conflict', async () => {
    const s = stream('race');
    const attempts = Array.from({ length: 10 }, (_, i) => newEvents(3, `a${i}`));
    const settled = await Promise.allSettled(attempts.map((events) => store().append(s, events, 'no_stream')));
    const won = settled.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const r of settled) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(WrongExpectedVersionError);
    const read = await store().readStream(s);
    expect(read.map((e) => e.id)).toEqual(attempts[won[0]!]!.map((e) => e.id));
  });
}

function deletion({ store, stream, options }: Spec): void {
  it('given two streams, when one is deleted, then it reads empty, its events leave the log, the other is untouched, and a second delete is a no-op', async () => {
    const s = store();
    expect(typeof s.deleteStreams).toBe('function'); // optional in the port; every adapter here has it
    const gone = stream('gone');
    const kept = stream('kept');
    const head = await s.headPosition();
    const goneEvents = newEvents(3, 'g');
    const keptEvents = newEvents(2, 'k');
    await s.appendMany([
      { stream: gone, events: goneEvents },
      { stream: kept, events: keptEvents },
    ]);
    await s.deleteStreams!([gone, stream('never-written')]);
    await s.deleteStreams!([gone]);
    expect(await s.readStream(gone)).toEqual([]);
    expect((await s.readStream(kept)).map((e) => e.id)).toEqual(keptEvents.map((e) => e.id));
    const log = await readAllAfter(s, head);
    if (options.deletedEventsStayInLogUntilScavenge) expect(log.map((e) => e.id)).toEqual(expect.arrayContaining(keptEvents.map((e) => e.id)));
    else expect(log.map((e) => e.id)).toEqual(keptEvents.map((e) => e.id));
  });

  it('given a deleted stream, when an event is appended to it again (a late span), then the stream holds just that event (a soft delete)', async () => {
    const s = store();
    expect(typeof s.deleteStreams).toBe('function');
    const name = stream('late');
    await s.append(name, newEvents(2, 'old'));
    await s.deleteStreams!([name]);
    const late = newEvents(1, 'late');
    await expect(s.append(name, late)).resolves.toMatchObject({ appended: 1 });
    expect((await s.readStream(name)).map((e) => e.id)).toEqual(late.map((e) => e.id));
  });

  it('given revisions to delete at (ifAt), then a stream still at its revision is deleted and one written to since is left whole', async () => {
    const s = store();
    const read = stream('read');
    const moved = stream('moved');
    await s.append(read, newEvents(2, 'r'));
    await s.append(moved, newEvents(2, 'm'));
    const at = new Map([...(await Promise.all([read, moved].map(async (name) => [name, (await s.readStream(name)).at(-1)!.revision] as const)))]);
    const late = newEvents(1, 'late');
    await s.append(moved, late); // arrives between the caller's read and its delete
    await s.deleteStreams!([read, moved], at);
    expect(await s.readStream(read)).toEqual([]);
    expect(await s.readStream(moved)).toHaveLength(3);
    await s.deleteStreams!([moved], new Map([[moved, (await s.readStream(moved)).at(-1)!.revision]]));
    expect(await s.readStream(moved)).toEqual([]);
  });

  it('given hourly streams, when listing a range of names, then only the names in [from, to) come back, sorted, at most limit', async () => {
    const s = store();
    if (!s.listStreams) return; // optional: a store that cannot list streams (eventstoredb) leaves it out
    const p = stream('logs-');
    for (const hour of ['2026010103', '2026010101', '2026010102', '2026010200']) await s.append(p + hour, newEvents(1, hour));
    expect(await s.listStreams({ from: p, to: p + '2026010200', limit: 10 })).toEqual([p + '2026010101', p + '2026010102', p + '2026010103']);
    expect(await s.listStreams({ from: p, to: p + '2026010200', limit: 2 })).toEqual([p + '2026010101', p + '2026010102']);
    await s.deleteStreams?.([p + '2026010101']);
    expect(await s.listStreams({ from: p, to: p + '9', limit: 10 })).toEqual([p + '2026010102', p + '2026010103', p + '2026010200']);
  });
}

async function readAllAfter(s: EventStore, after: bigint): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  let from = after;
  for (;;) {
    const page = await s.readAll({ after: from, limit: 500 });
    if (page.length === 0) return out;
    out.push(...page);
    from = page[page.length - 1]!.position;
  }
}

// ---------------------------------------------------------------------------------------------------
// crash cases

/**
 * Spans of three traces as ingest appends them: one request that adds 10 spans to a trace already
 * holding 2 (expected at revision 1) and starts two more (no_stream, any). Each span carries ~600 bytes
 * of padding, so a store that cuts appends at a few KiB takes several for the first stream.
 */
function crashCaseWrites() {
  const pad = (w: ReturnType<typeof traceWrite>) => ({
    stream: w.stream,
    events: w.events.map((e) => ({ ...e, data: { ...e.data, span: { ...e.data.span, attributes: [...e.data.span.attributes, { key: 'app.note', value: { stringValue: `${e.id} `.repeat(24) } }] } } })),
  });
  const first = pad(traceWrite(hex(1), 13, { conversationId: 'conv-a' }));
  const second = pad(traceWrite(hex(2), 3, { conversationId: 'conv-a', content: true }));
  const third = pad(traceWrite(hex(3), 1));
  const before: StreamWrite = { stream: first.stream, events: first.events.slice(0, 2), expected: 'no_stream' };
  const call: StreamWrite[] = [
    { stream: first.stream, events: first.events.slice(2, 12), expected: 1n },
    { stream: second.stream, events: second.events, expected: 'no_stream' },
    { stream: third.stream, events: third.events, expected: 'any' },
  ];
  /** A later request, after the recovery: its exact expected revision holds only if the retries stored each event once. */
  const after: StreamWrite = { stream: first.stream, events: first.events.slice(12), expected: 11n };
  return { before, call, after, streams: call.map((w) => w.stream), total: call.reduce((n, w) => n + w.events.length, 0) };
}

/**
 * What a reader sees of a store: $all stream by stream (each in $all order) and each stream read by
 * itself, positions left out (a store's own). How $all interleaves the streams of one call is not
 * compared: an adapter may write them in parallel. The requests' order is: each one's events come after
 * the previous one's.
 */
async function storeView(store: EventStore, w: ReturnType<typeof crashCaseWrites>) {
  const log = await readWholeLog(store, 7);
  expectStrictlyIncreasingPositions(log);
  expect(await store.headPosition()).toBe(log.length > 0 ? log[log.length - 1]!.position : -1n);
  const strip = (e: RecordedEvent) => ({ id: e.id, revision: e.revision, type: e.type, data: e.data, metadata: e.metadata });
  const requestOf = new Map([w.before, ...w.call, w.after].flatMap((x) => x.events.map((e) => [e.id, x === w.before ? 0 : x === w.after ? 2 : 1] as const)));
  const order = log.map((e) => requestOf.get(e.id) ?? -1);
  expect(order).toEqual([...order].sort((a, b) => a - b));
  const streams = [...new Set(log.map((e) => e.stream))].sort();
  return {
    log: Object.fromEntries(streams.map((s) => [s, log.filter((e) => e.stream === s).map(strip)])),
    streams: Object.fromEntries(await Promise.all(streams.map(async (s) => [s, (await store.readStream(s)).map(strip)] as const))),
  };
}

function crashRecovery(hook: CrashHook | undefined): void {
  if (!hook) {
    it.skip('skipped: no crash test hook wired for this store (a real server cannot be crashed from here)', () => undefined);
    return;
  }

  /** The clean store's reads and projection, built once. */
  let clean: { view: Awaited<ReturnType<typeof storeView>>; model: Awaited<ReturnType<typeof traceReadModelOf>>; callResult: AppendResult } | undefined;
  const cleanBuild = async () => {
    if (clean) return clean;
    const w = crashCaseWrites();
    const c = await hook.open();
    try {
      await c.store.appendMany([w.before]);
      const callResult = await c.store.appendMany(w.call);
      await c.store.appendMany([w.after]);
      clean = { view: await storeView(c.store, w), model: await traceReadModelOf(c.store), callResult };
      expect(callResult.appended).toBe(w.total);
      expect(clean.model.traces).toHaveLength(3);
      return clean;
    } finally {
      await c.dispose();
    }
  };

  it('given no crash, then the append stores every event once (the baseline the cases compare with)', async () => {
    const { view, model } = await cleanBuild();
    const w = crashCaseWrites();
    expect(Object.values(view.log).flat()).toHaveLength(2 + w.total + 1);
    expect(view.streams[w.streams[0]!]!.map((e) => e.revision)).toEqual(Array.from({ length: 13 }, (_, i) => BigInt(i)));
    expect(model.sessions.map((s) => s.sessionId)).toEqual(['conv-a']);
  });

  describe.each([
    ['the same store retries (its client got a 503)', 'same'],
    ['a new process retries (the crashed one is gone)', 'reopened'],
  ] as const)('when %s', (_label, who) => {
    it("given a crash at each write step in turn, then the retry stores everything exactly once, a second retry stores nothing, and reads and a rebuilt projection equal the clean store's", async () => {
      const expected = await cleanBuild();
      const w = crashCaseWrites();
      /** Per step: how many of the call's events the crash left stored. */
      const leftByStep: number[] = [];
      const failures: string[] = [];
      for (let step = 1; step <= 200; step++) {
        const c = await hook.open();
        try {
          await c.store.appendMany([w.before]);
          c.crashAt(step);
          const outcome: { result?: AppendResult; error?: unknown } = await c.store.appendMany(w.call).then(
            (result) => ({ result }),
            (error: unknown) => ({ error }),
          );
          if (!c.crashed()) {
            // Past the call's last step: it went through as a clean call does.
            expect(outcome.error).toBeUndefined();
            expect(outcome.result).toMatchObject({ appended: w.total });
            break;
          }
          try {
            leftByStep.push(await recoverFromCrash(c, outcome, who, w, expected, hook.retryMayCountStoredEvents === true));
          } catch (err) {
            failures.push(`crash at step ${step}: ${(err as Error).message}`);
          }
        } finally {
          await c.dispose();
        }
      }
      expect(failures).toEqual([]);
      // Every step was tried: at least one write per stream, then the commit and the moment after it.
      expect(leftByStep.length).toBeGreaterThanOrEqual(w.streams.length + 2);
      // The last step (committed, not acknowledged) leaves everything.
      expect(leftByStep[leftByStep.length - 1]).toBe(w.total);
      if (hook.atomic) expect(leftByStep.slice(0, -1)).toEqual(leftByStep.slice(0, -1).map(() => 0));
      else expect(leftByStep.filter((n) => n > 0 && n < w.total).length).toBeGreaterThan(0); // some crash fell between chunks
    }, 240_000); // a store per step and two more per recovery: ~20 s for SQLite's 19 steps on a loaded machine
  });
}

/**
 * After a crash of `w.call`: checks what it left, retries it (on the same store or a new process), retries
 * once more from yet another process, appends the next request, and compares everything with the clean
 * store. Returns how many of the call's events the crash left stored.
 */
async function recoverFromCrash(
  c: CrashableStore,
  outcome: { result?: AppendResult; error?: unknown },
  who: 'same' | 'reopened',
  w: ReturnType<typeof crashCaseWrites>,
  clean: { view: Awaited<ReturnType<typeof storeView>>; model: Awaited<ReturnType<typeof traceReadModelOf>> },
  uncertainCounts: boolean,
): Promise<number> {
  // The client sees a retryable failure (a 503), never a success.
  if (outcome.result) throw new Error(`the append crashed, yet it answered success (appended ${outcome.result.appended})`);
  expect(outcome.error).toBeInstanceOf(EventStoreUnavailableError);
  let store = c.store;
  if (who === 'reopened') {
    await store.close();
    store = await c.reopen();
  }
  // What the crash left: in each stream, after what it held, the call's first events (a prefix), nothing else.
  let left = 0;
  for (const write of w.call) {
    const held = write.stream === w.before.stream ? w.before.events.map((e) => e.id) : [];
    const ids = (await store.readStream(write.stream)).map((e) => e.id);
    const stored = ids.slice(held.length);
    expect(ids).toEqual([...held, ...write.events.slice(0, stored.length).map((e) => e.id)]);
    left += stored.length;
  }
  // The client's retry: same events, same ids, same expectations.
  const retry = await store.appendMany(w.call);
  if (uncertainCounts) expect(retry.appended).toBeGreaterThanOrEqual(w.total - left);
  else expect(retry.appended).toBe(w.total - left);
  expect(retry.appended).toBeLessThanOrEqual(w.total);
  // Its answer was lost too: another process retries once more, and stores nothing (reads below tell).
  const other = await c.reopen();
  const again = await other.appendMany(w.call);
  if (uncertainCounts) expect(again.appended).toBeLessThanOrEqual(w.total);
  else expect(again).toEqual({ appended: 0, lastPosition: null });
  await other.appendMany([w.after]);
  expect(await storeView(other, w)).toEqual(clean.view);
  expect(await traceReadModelOf(other)).toEqual(clean.model);
  return left;
}
