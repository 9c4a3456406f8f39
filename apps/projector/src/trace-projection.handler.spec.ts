import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventTypes, Streams, type IngestMetadata, type ModelPriceSetData } from '@temps/domain';
import { SqliteEventStore } from '@temps/event-store/sqlite';
import { SqliteTraceReadStore } from '@temps/read-store/sqlite';
import { chatSpanWrite } from '../../../test/support/chat-span-write';
import { TraceProjectionHandler } from './trace-projection.handler';

const meta: IngestMetadata = { projectId: '1', receivedAt: '2026-11-27T00:00:00.000Z', requestId: 'r', encoding: 'protobuf', schemaVersion: 1 };

/** One chat span with usage (gpt-4o-2024-08-06, 1000 in / 100 out), as ingest appends it. */
const chatWrite = (traceId: string) =>
  chatSpanWrite({
    traceId,
    spanId: traceId.slice(0, 16),
    name: 'chat gpt-4o',
    startMs: Date.parse('2026-11-01T00:00:00Z'),
    endMs: Date.parse('2026-11-01T00:00:01Z'),
    inputTokens: 1000,
    responseModel: 'gpt-4o-2024-08-06',
    outputTokens: 100,
    eventId: `span-${traceId}`,
    metadata: meta,
  });

const priceEvent = (id: string, effectiveFrom: string, input: number, output: number) => {
  const data: ModelPriceSetData = { provider: 'openai', model: 'gpt-4o', effectiveFrom, currency: 'USD', perMillionTokens: { input, output } };
  return { id, type: EventTypes.ModelPriceSet, data };
};

describe('TraceProjectionHandler: pricing', () => {
  let dir: string;
  let events: SqliteEventStore;
  let reads: SqliteTraceReadStore;
  let handler: TraceProjectionHandler;
  let position: bigint | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'temps-pricing-handler-'));
    events = SqliteEventStore.open(join(dir, 'events.db'));
    reads = SqliteTraceReadStore.open(join(dir, 'reads.db'));
    handler = new TraceProjectionHandler(reads, events, () => undefined);
    position = undefined;
  });
  afterEach(async () => {
    await reads.close();
    await events.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Feeds the handler everything appended since the last call, as the runner does. */
  async function project() {
    const batch = await events.readAll({ after: position, limit: 1000 });
    if (!batch.length) return;
    position = batch[batch.length - 1]!.position;
    await handler.apply(batch, position);
  }
  const traceCost = async (traceId: string) => (await reads.getTrace('1', traceId))!.trace.cost;

  it('reads the pricing stream at start and again when a batch carries a ModelPriceSet', async () => {
    await events.append(Streams.pricing, [priceEvent('p1', '2024-10-01', 2.5, 10)]);
    await events.appendMany([chatWrite('a'.repeat(32))]);
    await project();
    expect(await traceCost('a'.repeat(32))).toBeCloseTo((1000 * 2.5 + 100 * 10) / 1e6, 12);

    // A new price effective before the span: new traces get it; the projected one keeps its cost (re-pricing is a rebuild).
    await events.append(Streams.pricing, [priceEvent('p2', '2026-01-01', 1, 2)]);
    await project();
    await events.appendMany([chatWrite('b'.repeat(32))]);
    await project();
    expect(await traceCost('b'.repeat(32))).toBeCloseTo((1000 * 1 + 100 * 2) / 1e6, 12);
    expect(await traceCost('a'.repeat(32))).toBeCloseTo((1000 * 2.5 + 100 * 10) / 1e6, 12);

    // Price and span in one batch: the price applies.
    await events.append(Streams.pricing, [priceEvent('p3', '2026-06-01', 3, 4)]);
    await events.appendMany([chatWrite('c'.repeat(32))]);
    await project();
    expect(await traceCost('c'.repeat(32))).toBeCloseTo((1000 * 3 + 100 * 4) / 1e6, 12);
  });

  it('no prices: usage spans have cost null', async () => {
    await events.appendMany([chatWrite('d'.repeat(32))]);
    await project();
    const t = (await reads.getTrace('1', 'd'.repeat(32)))!;
    expect(t.spans[0]!.cost).toBeNull();
    expect(t.trace.cost).toBeNull();
  });
});
