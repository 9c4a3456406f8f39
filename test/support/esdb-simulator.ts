import { Readable, type ReadableOptions } from 'node:stream';
import {
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  EVENT_TYPE,
  MaxAppendSizeExceededError,
  NotLeaderError,
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

/**
 * An in-process EventStoreDB SIMULATOR (not a server: no EventStoreDB can run here) for the part of
 * @eventstore/db-client's EventStoreDBClient that EsdbEventStore calls: appendToStream, readStream, readAll
 * (backwards), subscribeToAll, dispose. It enforces what the server documents, so the adapter is tested
 * against the server's limits rather than against a friendly fake:
 *
 * - maximum append size (server option MaxAppendSize, 1 MiB by default): a larger append fails with
 *   MaxAppendSizeExceededError, as the client reports the server's refusal. The simulator counts each event
 *   as its data + metadata + type + a fixed 48-byte overhead (id, content type, framing): an approximation
 *   of the server's own count, which the adapter's estimate must stay above.
 * - expected revisions: any / no_stream / stream_exists / an exact revision; a mismatch is
 *   WrongExpectedVersionError carrying the actual revision (or no_stream).
 * - idempotent re-appends: the same event ids re-sent at the same expected revision (or no_stream) succeed
 *   without storing anything and answer with the original write's revision and position; ids that only
 *   partly match are a WrongExpectedVersionError. With `any` / `stream_exists` the check is best effort:
 *   only ids in a bounded cache of recent writes are recognised (the server guarantees nothing there).
 * - $all positions: commit = prepare (appends without explicit transactions), strictly increasing byte
 *   offsets with gaps, system events ($-types in $-streams) written in between.
 * - catch-up subscriptions to $all: exclusive of their start, filtered server side, backpressure through a
 *   Readable in object mode, a `caughtUp` event once the backlog is delivered, then live.
 * - per-call deadlines (`deadline` in ms): a call slower than its deadline fails with DeadlineExceededError,
 *   and an append still commits when its latency is over (the server does not know the client gave up:
 *   the lost-ack case). `callsWithoutDeadline` counts calls that carried none.
 * - injected latency per append (e.g. 8 ms, fsync-bound; concurrent appends overlap as with group commit),
 *   injected faults (unavailable, deadline, not leader, cancelled; before or after the commit), and
 *   subscription faults (dropped, cancelled, leader change).
 * - counters of round trips per call kind and of events read back, for tests and the bench to assert.
 */
export interface EsdbSimulatorOptions {
  /** Bytes; the server's MaxAppendSize. Default 1 MiB. */
  maxAppendSize?: number;
  /** Each append takes this long before it commits and answers (ms). Default 0 (one event-loop turn). */
  appendLatencyMs?: number;
  /** Each read takes this long (ms). Default 0. */
  readLatencyMs?: number;
  /** Recent event ids remembered for best-effort idempotency of `any` appends. Default 10,000. */
  idempotencyCacheSize?: number;
  /** Write a system event every this many appends ($stats-like). Default 3; 0 for none. */
  systemEventEvery?: number;
  /** A deleted stream's events leave $all at once, as after a scavenge. Default true; false: only scavenge() removes them. */
  scavengeOnDelete?: boolean;
}

export type SimulatedFault = 'unavailable' | 'deadline' | 'not_leader' | 'cancelled';
export type SimulatedCall = 'append' | 'readStream' | 'readAll' | 'subscribe';

interface PendingFault {
  op: SimulatedCall | 'any';
  kind: SimulatedFault;
  /** Matching calls still to let through before this one fails. */
  skip: number;
  /** Appends only: commit first, then fail (the acknowledgement is lost). */
  afterCommit: boolean;
}

interface StoredEvent {
  streamId: string;
  id: string;
  type: string;
  revision: bigint;
  contentType: 'application/json' | 'application/octet-stream';
  data: string | Uint8Array;
  metadata: string;
  created: Date;
  position: Position;
}

const PER_EVENT_OVERHEAD = 48;
const sleep = (ms: number) => new Promise<void>((r) => (ms > 0 ? setTimeout(r, ms) : setImmediate(r)));

function serviceError(code: number, message: string, metadata: Record<string, string> = {}) {
  return { code, details: message, message: `${code} ${message}`, metadata: { getMap: () => metadata } } as never;
}

function faultError(kind: SimulatedFault): Error {
  switch (kind) {
    case 'unavailable':
      return new UnavailableError(serviceError(14, 'UNAVAILABLE: connection refused (simulated)'));
    case 'deadline':
      return new DeadlineExceededError(serviceError(4, 'DEADLINE_EXCEEDED: deadline exceeded (simulated)'));
    case 'cancelled':
      return new CancelledError(serviceError(1, 'CANCELLED: cancelled on the server (simulated)'));
    case 'not_leader':
      return new NotLeaderError(serviceError(5, 'NOT_LEADER: leader changed (simulated)', { 'leader-endpoint-host': '127.0.0.2', 'leader-endpoint-port': '2113' }));
  }
}

function eventBytes(e: EventData): { data: string | Uint8Array; metadata: string; size: number } {
  const data = e.contentType === 'application/json' ? JSON.stringify(e.data) : (e.data as Uint8Array);
  const metadata = e.metadata === undefined ? '' : e.metadata instanceof Uint8Array ? Buffer.from(e.metadata).toString('utf8') : JSON.stringify(e.metadata);
  const size = (typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength) + Buffer.byteLength(metadata) + Buffer.byteLength(e.type) + PER_EVENT_OVERHEAD;
  return { data, metadata, size };
}

export class EsdbSimulator {
  readonly maxAppendSize: number;
  appendLatencyMs: number;
  readLatencyMs: number;
  /** Round trips by kind (a subscription counts once, when opened). */
  readonly calls: Record<SimulatedCall, number> = { append: 0, readStream: 0, readAll: 0, subscribe: 0 };
  /** Events returned by readStream and readAll (not by subscriptions). */
  eventsRead = 0;
  /** readStream calls by stream name. */
  readonly streamReads = new Map<string, number>();
  /** Calls (not subscriptions) made without a deadline: the adapter should give every call one. */
  callsWithoutDeadline = 0;
  /** deleteStream calls (not in `calls`: most tests count the other round trips exactly). */
  deletes = 0;
  /** Appends refused as over maxAppendSize. */
  appendsOverMaxSize = 0;

  private readonly log: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly recentIds = new Map<string, StoredEvent>();
  private readonly idempotencyCacheSize: number;
  private readonly systemEventEvery: number;
  private nextPosition = 1_000n;
  private appends = 0;
  private readonly wakers = new Set<() => void>();
  private readonly subscriptions = new Set<Readable>();
  private readonly faults: PendingFault[] = [];
  /** Soft-deleted streams: the revision their visible events start at (the server's $tb); revisions go on. */
  private readonly truncateBefore = new Map<string, number>();
  private readonly scavengeOnDelete: boolean;
  /** Events a scavenge removed from $all (left out of every read of it). */
  private readonly scavenged = new Set<StoredEvent>();

  constructor(options: EsdbSimulatorOptions = {}) {
    this.maxAppendSize = options.maxAppendSize ?? 1_048_576;
    this.appendLatencyMs = options.appendLatencyMs ?? 0;
    this.readLatencyMs = options.readLatencyMs ?? 0;
    this.idempotencyCacheSize = options.idempotencyCacheSize ?? 10_000;
    this.systemEventEvery = options.systemEventEvery ?? 3;
    this.scavengeOnDelete = options.scavengeOnDelete ?? true;
    // A fresh server already holds system events.
    for (let i = 0; i < 5; i++) this.writeSystemEvent();
  }

  /** All round trips so far. */
  get roundTrips(): number {
    return this.calls.append + this.calls.readStream + this.calls.readAll + this.calls.subscribe;
  }

  /** Zeroes the counters (not the data). */
  resetCounters(): void {
    for (const k of Object.keys(this.calls) as SimulatedCall[]) this.calls[k] = 0;
    this.eventsRead = 0;
    this.streamReads.clear();
    this.callsWithoutDeadline = 0;
    this.appendsOverMaxSize = 0;
  }

  /**
   * The `nth` next call of kind `op` (1 = the very next one) fails with `kind`. With afterCommit an append
   * commits first and then fails: the client cannot tell it was stored (a lost acknowledgement).
   */
  inject(op: SimulatedCall | 'any', kind: SimulatedFault, options: { nth?: number; afterCommit?: boolean } = {}): void {
    this.faults.push({ op, kind, skip: (options.nth ?? 1) - 1, afterCommit: options.afterCommit ?? false });
  }

  /** Faults injected but not yet triggered. */
  get pendingFaults(): number {
    return this.faults.length;
  }

  /** Drops the faults not yet triggered; returns how many there were. */
  clearFaults(): number {
    return this.faults.splice(0).length;
  }

  /** Every event of a stream as stored (for assertions), without counting a round trip. */
  storedStream(streamName: string): { id: string; revision: bigint; type: string }[] {
    return (this.streams.get(streamName) ?? []).map((e) => ({ id: e.id, revision: e.revision, type: e.type }));
  }

  /** Names of the non-system streams that hold events. */
  streamNames(): string[] {
    return [...this.streams.keys()].filter((s) => !s.startsWith('$'));
  }

  /**
   * A soft delete (the server's `deleteStream`): the stream reads as not found, its revisions go on when a
   * later append starts it again. On the server its events stay in $all until a scavenge; here they leave
   * the log at once unless scavengeOnDelete is false (then scavenge() removes them). An exact expectedRevision
   * must be the stream's last visible revision, else WrongExpectedVersionError and nothing is deleted.
   */
  async deleteStream(streamName: string, options: { expectedRevision?: AppendExpectedRevision; deadline?: number } = {}) {
    this.deletes++;
    if (options.deadline === undefined) this.callsWithoutDeadline++;
    await sleep(0);
    const stored = this.streams.get(streamName);
    const expected = options.expectedRevision;
    if (typeof expected === 'bigint') {
      // Checked at the delete, as the server does: a stream written to since (or gone) is refused.
      const visible = stored !== undefined && stored.length > (this.truncateBefore.get(streamName) ?? 0);
      const current = visible ? BigInt(stored.length - 1) : undefined;
      if (current !== expected) throw new WrongExpectedVersionError(undefined as never, { streamName, expected, current: current ?? 'no_stream' });
    }
    if (stored?.length) this.truncateBefore.set(streamName, stored.length);
    if (this.scavengeOnDelete) this.scavenge();
    return { position: undefined };
  }

  /** Removes the events of soft-deleted streams from $all (the server's scavenge). */
  scavenge(): void {
    // Marked, not spliced: open subscriptions hold indexes into the log.
    for (const e of this.log) if (Number(e.revision) < (this.truncateBefore.get(e.streamId) ?? 0)) this.scavenged.add(e);
  }

  async appendToStream(streamName: string, events: EventData | EventData[], options: { expectedRevision?: AppendExpectedRevision; deadline?: number } = {}) {
    this.calls.append++;
    if (options.deadline === undefined) this.callsWithoutDeadline++;
    const list = Array.isArray(events) ? events : [events];
    const fault = this.takeFault('append');
    if (fault && !fault.afterCommit) {
      await sleep(0);
      throw faultError(fault.kind);
    }
    const encoded = list.map(eventBytes);
    const size = encoded.reduce((n, e) => n + e.size, 0);
    const deadline = options.deadline ?? Infinity;
    // The commit happens when the latency is over, whether or not the client still waits for it.
    const commit = sleep(this.appendLatencyMs).then(() => {
      if (size > this.maxAppendSize) {
        this.appendsOverMaxSize++;
        throw MaxAppendSizeExceededError.fromMaxAppendSize(this.maxAppendSize);
      }
      return this.commit(streamName, list, encoded, options.expectedRevision ?? 'any');
    });
    if (this.appendLatencyMs > deadline) {
      commit.catch(() => undefined);
      await sleep(deadline);
      throw faultError('deadline');
    }
    const result = await commit;
    if (fault) throw faultError(fault.kind);
    return result;
  }

  readStream(streamName: string, options: { fromRevision?: ReadRevision; direction?: string; maxCount?: number | bigint; deadline?: number } = {}) {
    this.calls.readStream++;
    this.streamReads.set(streamName, (this.streamReads.get(streamName) ?? 0) + 1);
    if (options.deadline === undefined) this.callsWithoutDeadline++;
    const fault = this.takeFault('readStream');
    const self = this;
    return (async function* () {
      await self.readDelay(options.deadline);
      if (fault) throw faultError(fault.kind);
      const all = self.streams.get(streamName);
      const tb = self.truncateBefore.get(streamName) ?? 0;
      if (!all || all.length <= tb) throw new StreamNotFoundError(undefined as never, streamName);
      // Index = revision: hidden (deleted) revisions are left out, the rest keep their places.
      const stored = tb === 0 ? all : all.map((e, i) => (i < tb ? undefined : e));
      const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
      const from = options.fromRevision;
      let page: (StoredEvent | undefined)[];
      if (options.direction === BACKWARDS) {
        const top = from === undefined || from === END || from === START ? stored.length - 1 : Math.min(stored.length - 1, Number(from));
        page = from === START ? stored.slice(0, 1) : stored.slice(Math.max(0, top - max + 1), top + 1).reverse();
      } else {
        const start = from === undefined || from === START ? 0 : from === END ? stored.length : Number(from);
        page = stored.slice(start, start + max);
      }
      const visible = page.filter((e) => e !== undefined);
      self.eventsRead += visible.length;
      for (const e of visible) yield { event: self.toRecorded(e) };
    })();
  }

  readAll(options: { direction?: string; fromPosition?: ReadPosition; maxCount?: number | bigint; deadline?: number } = {}) {
    this.calls.readAll++;
    if (options.deadline === undefined) this.callsWithoutDeadline++;
    if (options.direction !== BACKWARDS) throw new Error('the simulator reads $all only backwards (EsdbEventStore reads forwards through subscriptions)');
    const fault = this.takeFault('readAll');
    const self = this;
    return (async function* () {
      await self.readDelay(options.deadline);
      if (fault) throw faultError(fault.kind);
      const before = options.fromPosition === undefined || options.fromPosition === END ? Infinity : options.fromPosition === START ? -Infinity : Number(options.fromPosition.commit);
      const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
      const page: StoredEvent[] = [];
      for (let i = self.log.length - 1; i >= 0 && page.length < max; i--) if (Number(self.log[i]!.position.commit) < before && !self.scavenged.has(self.log[i]!)) page.push(self.log[i]!);
      self.eventsRead += page.length;
      for (const e of page) yield { event: self.toRecorded(e) };
    })();
  }

  subscribeToAll(options: { fromPosition?: ReadPosition; filter?: Filter } = {}, readableOptions: ReadableOptions = {}) {
    this.calls.subscribe++;
    const fault = this.takeFault('subscribe');
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
    let caughtUp = false;
    const sim = this;
    /** Pushes what the log holds after the cursor until the buffer is full; at the end: caught up, then live. */
    const pump = () => {
      if (fault) return; // refused by the server: fails before delivering anything
      for (;;) {
        const e = sim.log[index];
        if (!e) {
          if (!caughtUp) {
            caughtUp = true;
            stream.emit('caughtUp');
          }
          waker ??= () => {
            sim.wakers.delete(waker!);
            waker = undefined;
            pump();
          };
          sim.wakers.add(waker);
          return;
        }
        index++;
        if (keep(e) && !sim.scavenged.has(e) && !stream.push({ event: sim.toRecorded(e) })) return;
      }
    };
    const stream = new Readable({ ...readableOptions, objectMode: true, read: pump }) as Readable & { unsubscribe(): Promise<void> };
    stream.unsubscribe = async () => {
      if (waker) sim.wakers.delete(waker);
      sim.subscriptions.delete(stream);
      stream.destroy();
    };
    this.subscriptions.add(stream);
    if (fault) setImmediate(() => this.fail(stream, fault.kind));
    return stream;
  }

  async dispose(): Promise<void> {}

  /** A server restart: open subscriptions fail with UNAVAILABLE; the client does not resubscribe. */
  dropSubscriptions(): number {
    return this.failSubscriptions('unavailable');
  }

  /** The server cancels open subscriptions (e.g. a subscriber too slow for the live buffer). */
  cancelSubscriptions(): number {
    return this.failSubscriptions('cancelled');
  }

  /** A leader election: open subscriptions fail with NOT_LEADER, and so does the next call of any kind. */
  leaderChange(): number {
    this.inject('any', 'not_leader');
    return this.failSubscriptions('not_leader');
  }

  private failSubscriptions(kind: SimulatedFault): number {
    const open = [...this.subscriptions];
    for (const s of open) this.fail(s, kind);
    return open.length;
  }

  private fail(stream: Readable, kind: SimulatedFault): void {
    this.subscriptions.delete(stream);
    stream.destroy(faultError(kind));
  }

  private takeFault(op: SimulatedCall): PendingFault | undefined {
    for (let i = 0; i < this.faults.length; i++) {
      const f = this.faults[i]!;
      if (f.op !== op && f.op !== 'any') continue;
      if (f.skip > 0) {
        f.skip--;
        continue;
      }
      this.faults.splice(i, 1);
      return op === 'append' || !f.afterCommit ? f : { ...f, afterCommit: false };
    }
    return undefined;
  }

  private async readDelay(deadline: number | undefined): Promise<void> {
    if (deadline !== undefined && this.readLatencyMs > deadline) {
      await sleep(deadline);
      throw faultError('deadline');
    }
    await sleep(this.readLatencyMs);
  }

  /** The server's append decision, made atomically at commit time. */
  private commit(streamName: string, list: EventData[], encoded: ReturnType<typeof eventBytes>[], expected: AppendExpectedRevision) {
    const stored = this.streams.get(streamName);
    // A soft-deleted stream (nothing visible) counts as no stream; its revisions go on from the last one.
    const deleted = stored !== undefined && stored.length > 0 && stored.length <= (this.truncateBefore.get(streamName) ?? 0);
    const last = stored?.length ? BigInt(stored.length - 1) : undefined;
    const current = deleted ? undefined : last;
    const wrong = () => new WrongExpectedVersionError(undefined as never, { streamName, expected, current: current ?? 'no_stream' });
    if (expected === 'no_stream' || typeof expected === 'bigint') {
      const matches = expected === 'no_stream' ? current === undefined : current === expected;
      if (!matches) {
        // Idempotency: the same ids already stored right after the expected revision are the same write.
        const start = expected === 'no_stream' ? 0 : Number(expected) + 1;
        const at = stored?.slice(start, start + list.length) ?? [];
        if (at.length === list.length && list.length > 0 && at.every((e, i) => e.id === list[i]!.id)) return this.idempotentResult(at);
        throw wrong();
      }
    } else {
      if (expected === 'stream_exists' && current === undefined) throw wrong();
      // Best effort: recognised only while the first id is in the cache of recent writes.
      const first = list[0] && this.recentIds.get(list[0].id);
      if (first && first.streamId === streamName && stored) {
        const at = stored.slice(Number(first.revision), Number(first.revision) + list.length);
        if (at.length === list.length && at.every((e, i) => e.id === list[i]!.id)) return this.idempotentResult(at);
      }
    }
    let revision = last ?? -1n;
    let position: Position | undefined;
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      revision++;
      const written = this.write({ streamId: streamName, id: e.id, type: e.type, revision, contentType: e.contentType, data: encoded[i]!.data, metadata: encoded[i]!.metadata });
      position = written.position;
      this.remember(written);
    }
    if (this.systemEventEvery > 0 && ++this.appends % this.systemEventEvery === 0) this.writeSystemEvent();
    this.wake();
    return { success: true, nextExpectedRevision: revision, position };
  }

  private idempotentResult(at: StoredEvent[]) {
    const last = at[at.length - 1]!;
    return { success: true, nextExpectedRevision: last.revision, position: last.position };
  }

  private remember(e: StoredEvent): void {
    this.recentIds.set(e.id, e);
    if (this.recentIds.size > this.idempotencyCacheSize) this.recentIds.delete(this.recentIds.keys().next().value!);
  }

  private write(e: Omit<StoredEvent, 'position' | 'created'>): StoredEvent {
    const p = this.nextPosition;
    // Positions are byte offsets: strictly increasing, with gaps.
    this.nextPosition += 50n + BigInt(typeof e.data === 'string' ? e.data.length : e.data.byteLength);
    const stored: StoredEvent = { ...e, created: new Date(), position: { commit: p, prepare: p } };
    this.log.push(stored);
    let list = this.streams.get(e.streamId);
    if (!list) this.streams.set(e.streamId, (list = []));
    list.push(stored);
    return stored;
  }

  private writeSystemEvent(): void {
    const streamId = '$stats-simulator';
    const revision = BigInt(this.streams.get(streamId)?.length ?? 0);
    this.write({ streamId, id: crypto.randomUUID(), type: '$statsCollected', revision, contentType: 'application/json', data: '{}', metadata: '' });
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  private toRecorded(e: StoredEvent) {
    return {
      streamId: e.streamId,
      id: e.id,
      type: e.type,
      revision: e.revision,
      isJson: e.contentType === 'application/json',
      contentType: e.contentType,
      data: typeof e.data === 'string' ? (JSON.parse(e.data) as unknown) : e.data,
      metadata: e.metadata ? (JSON.parse(e.metadata) as unknown) : undefined,
      created: e.created,
      position: e.position,
    };
  }
}
