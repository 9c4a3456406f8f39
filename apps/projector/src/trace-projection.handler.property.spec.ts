import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { type NewEvent, type RecordedEvent } from '@temps/event-store';
import { SqliteEventStore } from '@temps/event-store/sqlite';
import { SqliteTraceReadStore } from '@temps/read-store/sqlite';
import { readModel } from '../../../test/support/read-model-snapshot';
import { hex, traceWrite } from '../../../test/support/span-events';
import { TraceProjectionHandler } from './trace-projection.handler';

type Write = { stream: string; event: NewEvent };
type ReadModel = Awaited<ReturnType<typeof readModel>>;

const t0 = 1_780_000_000_000;
const flatten = (w: ReturnType<typeof traceWrite>): Write[] => w.events.map((event) => ({ stream: w.stream, event }));
/** Three traces (two with content in their attributes, one joined from its stream), in two conversations. */
const ORIGINALS: Write[] = [
  ...flatten(traceWrite(hex(1), 3, { startMs: t0, conversationId: 'conv-a', content: true })),
  ...flatten(traceWrite(hex(2), 4, { startMs: t0 + 3_600_000, conversationId: 'conv-a', model: 'gpt-4o-mini' })),
  ...flatten(traceWrite(hex(3), 2, { startMs: t0 + 7_200_000, conversationId: 'conv-b', content: true })),
];
/** Trace 1 sent again later with other tokens and another conversation: being newer, it wins. */
const RESEND: Write[] = flatten(traceWrite(hex(1), 3, { startMs: t0, conversationId: 'conv-c', content: true, inputTokensPlus: 50, resend: 1 }));

/** What does not depend on where events sit in the log (their positions). */
function withoutPositions(model: ReadModel) {
  return JSON.parse(JSON.stringify(model, (key, value) => (key === 'position' || key === 'updatedPosition' ? undefined : value)));
}

/**
 * The read models are order-insensitive and idempotent: logs holding the same spans in any order,
 * with any of them received twice, projected in batches of any size (a batch applied twice, as after
 * a crash between commit and acknowledgement), give the same traces, spans, usage and mapping counters
 * and sessions. Real handler, real SQLite event store and read store.
 */
describe('trace projection: shuffled and duplicated events give the same read model', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  async function projectLog(writes: Write[], batchSizes: number[], replayBatch: number | null): Promise<ReadModel> {
    const dir = mkdtempSync(join(tmpdir(), 'temps-property-'));
    dirs.push(dir);
    // A generous append deadline: this test appends one event at a time, on a machine that may be busy.
    const events = SqliteEventStore.open(join(dir, 'events.db'), { writeTimeoutMs: 30_000 });
    const store = SqliteTraceReadStore.open(':memory:');
    try {
      // One append per event, in the given order: that order is the log's.
      for (const w of writes) await events.appendMany([{ stream: w.stream, events: [w.event] }]);
      const log = await events.readAll({ limit: 10_000 });
      const handler = new TraceProjectionHandler(await store.forNamespace('traces_v3'), events, () => undefined);
      for (let at = 0, k = 0; at < log.length; k++) {
        const batch: RecordedEvent[] = log.slice(at, at + batchSizes[k % batchSizes.length]!);
        const last = batch[batch.length - 1]!.position;
        await handler.apply(batch, last);
        if (replayBatch === k) await handler.apply(batch, last);
        at += batch.length;
      }
      return withoutPositions(await readModel(store));
    } finally {
      await store.close();
      await events.close();
    }
  }

  let expected: ReadModel;
  beforeAll(async () => {
    expected = await projectLog([...ORIGINALS, ...RESEND], [1000], null);
    expect(expected.traces.map((t) => [t.traceId, t.conversationId])).toEqual([
      [hex(3), 'conv-b'],
      [hex(2), 'conv-a'],
      [hex(1), 'conv-c'],
    ]);
    expect(expected.sessions.map((s) => s.sessionId).sort()).toEqual(['conv-a', 'conv-b', 'conv-c']);
  });

  it('holds for any order of the spans, duplicates, batch sizes and a replayed batch', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(ORIGINALS, { minLength: ORIGINALS.length, maxLength: ORIGINALS.length }),
        fc.shuffledSubarray(RESEND, { minLength: RESEND.length, maxLength: RESEND.length }),
        fc.array(fc.nat({ max: ORIGINALS.length - 1 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat({ max: 5 }), { nil: null }),
        async (originals, resend, duplicates, sizes, replay) => {
          const log = [...originals];
          // A duplicate is the same span received again (a retried export): same content, a new event.
          duplicates.forEach((i, n) => log.splice((i * 5 + n) % (log.length + 1), 0, { ...ORIGINALS[i]!, event: { ...ORIGINALS[i]!.event, id: `${ORIGINALS[i]!.event.id}-dup${n}` } }));
          expect(await projectLog([...log, ...resend], sizes, replay)).toEqual(expected);
        },
      ),
      { numRuns: 20 },
    );
  }, 180_000);
});
