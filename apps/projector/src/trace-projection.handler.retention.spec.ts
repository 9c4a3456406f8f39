import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventTypes, retentionStream, Streams, type IngestMetadata, type TracesExpiredData } from '@temps/domain';
import { SqliteEventStore } from '@temps/event-store/sqlite';
import { SqliteTraceReadStore } from '@temps/read-store/sqlite';
import { chatSpanWrite } from '../../../test/support/chat-span-write';
import { TraceProjectionHandler } from './trace-projection.handler';

const meta = { projectId: '1', receivedAt: '2026-11-27T00:00:00.000Z', requestId: 'r', encoding: 'json', schemaVersion: 1 } satisfies IngestMetadata;

const spanWrite = (traceId: string, spanId: string) =>
  chatSpanWrite({
    traceId,
    spanId,
    name: `chat ${spanId}`,
    startMs: Date.parse('2026-11-01T00:00:00Z'),
    endMs: Date.parse('2026-11-01T00:00:01Z'),
    inputTokens: 10,
    eventId: `span-${traceId}-${spanId}`,
    metadata: meta,
  });

const expiry = (traceIds: string[]) => {
  const data: TracesExpiredData = { projectId: '1', traceIds, cutoff: '2026-11-02T00:00:00.000Z', usage: null };
  return { stream: retentionStream('1'), events: [{ id: `expired-${traceIds.join()}`, type: EventTypes.TracesExpired, data }] };
};

describe('TraceProjectionHandler: TracesExpired (retention)', () => {
  let dir: string;
  let events: SqliteEventStore;
  let reads: SqliteTraceReadStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'temps-retention-handler-'));
    events = SqliteEventStore.open(join(dir, 'events.db'));
    reads = SqliteTraceReadStore.open(join(dir, 'reads.db'));
  });
  afterEach(async () => {
    await reads.close();
    await events.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Folds the whole log in one batch, as a projector that was behind would. */
  async function foldAll(store: SqliteTraceReadStore): Promise<void> {
    const all = await events.readAll({ limit: 10_000 });
    await new TraceProjectionHandler(store, events, () => undefined).apply(all, all[all.length - 1]!.position);
  }

  it('given a batch holding the marker and then a late span of an expired trace, then the trace keeps only the late span, the other goes, and the checkpoint is the batch end', async () => {
    const a = 'a'.repeat(32);
    const b = 'b'.repeat(32);
    await events.appendMany([spanWrite(a, '1'.repeat(16)), spanWrite(a, '2'.repeat(16)), spanWrite(b, '3'.repeat(16))]);
    const handler = new TraceProjectionHandler(reads, events, () => undefined);
    const first = await events.readAll({ limit: 100 });
    await handler.apply(first, first[first.length - 1]!.position);
    expect((await reads.getTrace('1', a))?.spans).toHaveLength(2);
    // What the sweep does: the streams go first, then the marker names them; then a late span starts a's stream again.
    await events.deleteStreams([Streams.trace('1', a), Streams.trace('1', b)]);
    await events.appendMany([expiry([a, b])]);
    await events.appendMany([spanWrite(a, '4'.repeat(16))]);
    const next = await events.readAll({ after: first[first.length - 1]!.position, limit: 100 });
    expect(next.map((e) => e.type)).toEqual(['TracesExpired', 'SpanReceived']);
    await handler.apply(next, next[1]!.position);
    const trace = await reads.getTrace('1', a);
    expect(trace?.spans.map((s) => s.spanId)).toEqual(['4'.repeat(16)]);
    expect(trace?.trace.spanCount).toBe(1);
    expect(await reads.getTrace('1', b)).toBeNull();
    expect(await reads.checkpoint(TraceProjectionHandler.projectionName)).toBe(next[1]!.position);
    // And a fresh build of what the log holds now agrees.
    const fresh = SqliteTraceReadStore.open(join(dir, 'fresh.db'));
    try {
      await foldAll(fresh);
      expect(await fresh.listTraces('1', { limit: 10 })).toEqual(await reads.listTraces('1', { limit: 10 }));
    } finally {
      await fresh.close();
    }
  });

  it('given the marker in a batch of its own after the spans were folded, then the trace and its summary go', async () => {
    const a = 'c'.repeat(32);
    await events.appendMany([spanWrite(a, '1'.repeat(16))]);
    await foldAll(reads);
    expect(await reads.getTrace('1', a)).not.toBeNull();
    await events.appendMany([expiry([a])]);
    const handler = new TraceProjectionHandler(reads, events, () => undefined);
    const [marker] = await events.readStream(retentionStream('1'));
    await handler.apply([marker!], marker!.position);
    expect(await reads.getTrace('1', a)).toBeNull();
    expect((await reads.listTraces('1', { limit: 10 })).items).toEqual([]);
  });
});
