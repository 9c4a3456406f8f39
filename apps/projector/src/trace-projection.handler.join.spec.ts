import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RecordedEvent } from '@temps/event-store';
import { SqliteEventStore } from '@temps/event-store/sqlite';
import { SqliteTraceReadStore } from '@temps/read-store/sqlite';
import { readModel } from '../../../test/support/read-model-snapshot';
import { hex, traceWrite } from '../../../test/support/span-events';
import { TraceProjectionHandler } from './trace-projection.handler';

/**
 * Traces joined from their stream (chat spans without content: their content may come as log records)
 * are read from the log only when the batch does not already hold their whole stream (from revision 0).
 */
describe('TraceProjectionHandler: content-join traces and their stream', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'temps-join-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function project(batchSize: number) {
    const events = SqliteEventStore.open(join(dir, `events-${batchSize}.db`));
    const store = SqliteTraceReadStore.open(':memory:');
    try {
      // Trace 1 without content (joined), exported in two parts; trace 2 with content (folded).
      const t1 = traceWrite(hex(1), 4, { conversationId: 'c' });
      await events.appendMany([{ stream: t1.stream, events: t1.events.slice(0, 2) }, traceWrite(hex(2), 3, { content: true })]);
      await events.appendMany([{ stream: t1.stream, events: t1.events.slice(2) }]);
      const streamReads: string[] = [];
      const readStream = events.readStream.bind(events);
      const spy = Object.assign(Object.create(events) as SqliteEventStore, {
        readStream: (stream: string, options?: { fromRevision?: bigint }) => (streamReads.push(stream), readStream(stream, options)),
      });
      const handler = new TraceProjectionHandler(await store.forNamespace('traces_v3'), spy, () => undefined);
      const log = await events.readAll({ limit: 100 });
      for (let at = 0; at < log.length; at += batchSize) {
        const batch: RecordedEvent[] = log.slice(at, at + batchSize);
        await handler.apply(batch, batch[batch.length - 1]!.position);
      }
      return { model: await readModel(store), traceReads: streamReads.filter((s) => s.startsWith('trace-')) };
    } finally {
      await store.close();
      await events.close();
    }
  }

  it('gives the same read model whether the stream is read or taken from the batch', async () => {
    const whole = await project(100);
    expect(whole.traceReads).toEqual([]); // the batch holds all of trace 1's stream
    const split = await project(3);
    // Batches [1.0 1.1 2.0] [2.1 2.2 1.2] [1.3]: the first holds trace 1 from revision 0 (no read); the others read it.
    expect(split.traceReads).toEqual([`trace-1-${hex(1)}`, `trace-1-${hex(1)}`]);
    expect(split.model).toEqual(whole.model);
    expect(whole.model.traces.find((t) => t.traceId === hex(1))?.spanCount).toBe(4);
  });
});
