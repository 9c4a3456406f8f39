import { randomUUID } from 'node:crypto';
import {
  BACKWARDS,
  DeadlineExceededError,
  END,
  MaxAppendSizeExceededError,
  NotLeaderError,
  START,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
} from '@eventstore/db-client';
import { EsdbSimulator } from './esdb-simulator';

const ev = (pad = 0) => jsonEvent({ id: randomUUID(), type: 'T', data: { pad: 'x'.repeat(pad) } });
async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** The simulator itself enforces the server's documented rules: otherwise the adapter's tests on it prove little. */
describe('EsdbSimulator (an in-process EventStoreDB stand-in: the server rules it enforces)', () => {
  it('given an append over MaxAppendSize, then it is refused whole with MaxAppendSizeExceededError', async () => {
    const sim = new EsdbSimulator({ maxAppendSize: 1000 });
    await expect(sim.appendToStream('s', [ev(600), ev(600)])).rejects.toBeInstanceOf(MaxAppendSizeExceededError);
    expect(sim.storedStream('s')).toEqual([]);
    await expect(sim.appendToStream('s', [ev(600)])).resolves.toMatchObject({ nextExpectedRevision: 0n });
  });

  it('given each expected state, then it accepts or refuses with the actual revision', async () => {
    const sim = new EsdbSimulator();
    await expect(sim.appendToStream('s', [ev()], { expectedRevision: 'stream_exists' })).rejects.toMatchObject({ actualVersion: 'no_stream' });
    await expect(sim.appendToStream('s', [ev()], { expectedRevision: 0n })).rejects.toBeInstanceOf(WrongExpectedVersionError);
    await sim.appendToStream('s', [ev(), ev()], { expectedRevision: 'no_stream' });
    await expect(sim.appendToStream('s', [ev()], { expectedRevision: 'no_stream' })).rejects.toMatchObject({ actualVersion: 1n });
    await expect(sim.appendToStream('s', [ev()], { expectedRevision: 5n })).rejects.toMatchObject({ actualVersion: 1n });
    await expect(sim.appendToStream('s', [ev()], { expectedRevision: 1n })).resolves.toMatchObject({ nextExpectedRevision: 2n });
    await expect(sim.appendToStream('s', [ev()], { expectedRevision: 'any' })).resolves.toMatchObject({ nextExpectedRevision: 3n });
  });

  it('given the same ids at the same expected revision again, then it succeeds with the first write\'s answer and stores nothing; ids that only partly match are refused', async () => {
    const sim = new EsdbSimulator();
    const batch = [ev(), ev()];
    const first = await sim.appendToStream('s', batch, { expectedRevision: 'no_stream' });
    await sim.appendToStream('s', [ev()], { expectedRevision: 1n });
    await expect(sim.appendToStream('s', batch, { expectedRevision: 'no_stream' })).resolves.toEqual(first);
    await expect(sim.appendToStream('s', [batch[0]!, ev()], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect(sim.storedStream('s')).toHaveLength(3);
  });

  it('given a call slower than its deadline, then it fails with DeadlineExceededError and the append still commits (the lost ack)', async () => {
    const sim = new EsdbSimulator({ appendLatencyMs: 30 });
    await expect(sim.appendToStream('s', [ev()], { deadline: 5 })).rejects.toBeInstanceOf(DeadlineExceededError);
    await new Promise((r) => setTimeout(r, 40));
    expect(sim.storedStream('s')).toHaveLength(1);
  });

  it('given injected faults, then the nth matching call fails with the client\'s error class, before or after the commit', async () => {
    const sim = new EsdbSimulator();
    sim.inject('append', 'unavailable', { nth: 2 });
    sim.inject('readStream', 'not_leader');
    await sim.appendToStream('s', [ev()]);
    await expect(sim.appendToStream('s', [ev()])).rejects.toBeInstanceOf(UnavailableError);
    await expect(collect(sim.readStream('s'))).rejects.toBeInstanceOf(NotLeaderError);
    sim.inject('append', 'deadline', { afterCommit: true });
    await expect(sim.appendToStream('s', [ev()])).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(sim.storedStream('s')).toHaveLength(2);
    expect(sim.calls).toMatchObject({ append: 3, readStream: 1 });
    expect(sim.callsWithoutDeadline).toBe(4);
  });

  it('given reads, then streams read forwards and backwards, a missing stream is StreamNotFoundError, and $all backwards holds system events too', async () => {
    const sim = new EsdbSimulator();
    await sim.appendToStream('s', [ev(), ev(), ev()]);
    expect((await collect(sim.readStream('s', { direction: BACKWARDS, fromRevision: END, maxCount: 2 }))).map((e) => e.event.revision)).toEqual([2n, 1n]);
    expect((await collect(sim.readStream('s', { fromRevision: START }))).map((e) => e.event.revision)).toEqual([0n, 1n, 2n]);
    await expect(collect(sim.readStream('missing'))).rejects.toBeInstanceOf(StreamNotFoundError);
    const all = await collect(sim.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 100 }));
    expect(all.some((e) => e.event.type.startsWith('$'))).toBe(true);
    expect(sim.eventsRead).toBe(2 + 3 + all.length);
  });

  it('given a filtered catch-up subscription, then it delivers the backlog after its start, says caughtUp, then delivers live appends', async () => {
    const sim = new EsdbSimulator();
    await sim.appendToStream('s', [ev(), ev()]);
    const sub = sim.subscribeToAll({ fromPosition: START, filter: excludeSystemEvents() });
    const seen: string[] = [];
    let caughtUpAt = -1;
    // As in the client, caughtUp may come while delivered events still sit in the readable buffer: it follows them.
    sub.on('caughtUp', () => (caughtUpAt = seen.length + sub.readableLength));
    sub.on('data', (e: { event: { type: string } }) => seen.push(e.event.type));
    await new Promise((r) => setTimeout(r, 10));
    expect(caughtUpAt).toBe(2);
    await sim.appendToStream('s', [ev()]);
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['T', 'T', 'T']);
    await sub.unsubscribe();
  });
});
