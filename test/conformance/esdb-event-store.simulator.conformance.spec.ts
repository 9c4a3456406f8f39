import { randomUUID } from 'node:crypto';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { EventStoreUnavailableError, type StreamWrite } from '@temps/event-store';
import { EsdbEventStore } from '@temps/event-store/esdb';
import { EsdbSimulator, type SimulatedFault } from '../support/esdb-simulator';
import { describeEventStoreConformance, type CrashableStore } from './event-store.conformance';

/**
 * The EventStoreDB adapter under the shared suite, over the EsdbSimulator (no EventStoreDB server can run
 * here): the server's documented limits (max append size, expected revisions, idempotent re-appends,
 * positions, deadlines) enforced in process. The real server runs the same suite in
 * esdb-event-store.conformance.spec.ts when EVENTSTORE_URL is set.
 */
const over = (sim: EsdbSimulator) => sim as unknown as EventStoreDBClient;

describeEventStoreConformance('eventstoredb adapter on the simulator', () => EsdbEventStore.fromClient(over(new EsdbSimulator())));

/** Several stores on one server, told apart by their stream prefix. */
describeEventStoreConformance('eventstoredb adapter with a stream prefix, on a shared simulator', (() => {
  const shared = new EsdbSimulator();
  let n = 0;
  return () => EsdbEventStore.fromClient(over(shared), { streamPrefix: `store${++n}-` });
})());

/**
 * The crash cases. The steps of a call are its appends as they reach the server (one per stream and 4 KiB
 * chunk; streams go in parallel), each with two crash points: before the server commits it (unavailable:
 * nothing of it stored) and after (a deadline: stored, the acknowledgement lost). From there the crashed
 * process sends nothing more (its later appends fail) until the suite has seen the crash; what it had
 * already sent still lands. A new process is a new adapter on the same simulator.
 */
async function openCrashable(appendLatencyMs = 0): Promise<CrashableStore> {
  const sim = new EsdbSimulator({ maxAppendSize: 4096, appendLatencyMs });
  const options = { maxAppendBytes: 4096, writeTimeoutMs: 30_000 };
  const stores: EsdbEventStore[] = [];
  let armed = 0;
  let sent = 0;
  let down = false;
  let crashed = false;
  /** The first process's connection: the one that crashes. */
  const connection = new Proxy(sim, {
    get(target, key) {
      if (key !== 'appendToStream') return Reflect.get(target, key);
      return async (...args: Parameters<EsdbSimulator['appendToStream']>) => {
        if (down) target.inject('append', 'unavailable'); // taken by this very call: a dead process reaches no server
        else if (armed > 0 && ++sent === Math.ceil(armed / 2)) {
          target.inject('append', armed % 2 === 1 ? 'unavailable' : 'deadline', { afterCommit: armed % 2 === 0 });
          down = crashed = true;
        }
        return target.appendToStream(...args);
      };
    },
  });
  const open = async (client: EsdbSimulator) => {
    const s = await EsdbEventStore.fromClient(over(client), options);
    stores.push(s);
    return s;
  };
  return {
    store: await open(connection),
    crashAt(step) {
      armed = step;
      sent = 0;
      crashed = false;
    },
    crashed() {
      const was = crashed;
      armed = 0;
      down = false; // back up: the same store may retry
      sim.clearFaults();
      return was;
    },
    reopen: () => open(sim),
    async dispose() {
      for (const s of stores) await s.close();
    },
  };
}

/** Small appends (4 KiB): every multi-event stream of the suite is cut into several appends. */
describeEventStoreConformance('eventstoredb adapter on the simulator, appends cut at 4 KiB', () =>
  EsdbEventStore.fromClient(over(new EsdbSimulator({ maxAppendSize: 4096 })), { maxAppendBytes: 4096 }), { maxEventBytes: 4096, crashes: { open: () => openCrashable(), atomic: false, retryMayCountStoredEvents: true } },
);

/** 2 ms per append, appends cut at 4 KiB: concurrent callers interleave between a call's appends. */
describeEventStoreConformance('eventstoredb adapter on the simulator, 2 ms per append, appends cut at 4 KiB', () =>
  EsdbEventStore.fromClient(over(new EsdbSimulator({ maxAppendSize: 4096, appendLatencyMs: 2 })), { maxAppendBytes: 4096, writeTimeoutMs: 30_000 }),
  // the crash cases with appends in flight at the crash: they land while the retry runs
  { maxEventBytes: 4096, crashes: { open: () => openCrashable(2), atomic: false, retryMayCountStoredEvents: true } },
);

describe('EventStore conformance: eventstoredb adapter on the simulator, a failure at every step of a multi-stream append', () => {
  const event = (label: string, i: number) => ({ id: randomUUID(), type: 'TestEvent', data: { label, i, pad: 'x'.repeat(600) } });
  /** Three streams, one of them cut into three appends (2 KiB each): five appends when nothing goes wrong. */
  const writes = (): StreamWrite[] => [
    { stream: 'trace-1-a', events: Array.from({ length: 6 }, (_, i) => event('a', i)), expected: 'any' },
    { stream: 'trace-1-b', events: [event('b', 0)], expected: 'any' },
    { stream: 'metrics-1-2026010100', events: [event('m', 0)], expected: 'any' },
  ];
  const options = { maxAppendBytes: 2048 };

  async function expectStoredOnce(sim: EsdbSimulator, w: StreamWrite[]): Promise<void> {
    for (const { stream, events } of w) expect(sim.storedStream(stream).map((e) => e.id)).toEqual(events.map((e) => e.id));
  }

  it('given no fault, then the call takes one append per 2 KiB of each stream and nothing else', async () => {
    const sim = new EsdbSimulator({ maxAppendSize: 2048 });
    const store = await EsdbEventStore.fromClient(over(sim), options);
    const w = writes();
    sim.resetCounters();
    await expect(store.appendMany(w)).resolves.toMatchObject({ appended: 8 });
    expect(sim.calls).toEqual({ append: 5, readStream: 0, readAll: 0, subscribe: 0 });
    expect(sim.callsWithoutDeadline).toBe(0);
    await expectStoredOnce(sim, w);
    await store.close();
  });

  const steps = [1, 2, 3, 4, 5];
  const faults: [SimulatedFault, boolean][] = [
    ['unavailable', false],
    ['not_leader', false],
    ['deadline', true], // committed, but the acknowledgement never came back
    ['cancelled', true],
  ];
  describe.each(faults)('fault %s (after the commit: %s)', (kind, afterCommit) => {
    it.each(steps)('given the fault at append %i, then the call answers unavailable, and its retry (same process, then another) stores everything exactly once', async (step) => {
      const sim = new EsdbSimulator({ maxAppendSize: 2048 });
      const store = await EsdbEventStore.fromClient(over(sim), options);
      const w = writes();
      sim.inject('append', kind, { nth: step, afterCommit });
      await expect(store.appendMany(w)).rejects.toBeInstanceOf(EventStoreUnavailableError);
      expect(sim.pendingFaults).toBe(0);
      await expect(store.appendMany(w)).resolves.toMatchObject({ lastPosition: expect.anything() });
      await expectStoredOnce(sim, w);
      // Another process (no memory of this one's appends) retrying the same request changes nothing.
      const other = await EsdbEventStore.fromClient(over(sim), options);
      await other.appendMany(w);
      await expectStoredOnce(sim, w);
      await other.close();
      await store.close();
    });
  });

  it('given a foreign append in between, when the retry\'s read-back of the conflict fails, then that retry answers unavailable and the next one completes, each event once', async () => {
    const sim = new EsdbSimulator({ maxAppendSize: 2048 });
    const first = await EsdbEventStore.fromClient(over(sim), options);
    const w = writes();
    sim.inject('append', 'deadline', { nth: 4, afterCommit: true }); // the second of a's three appends
    await expect(first.appendMany(w)).rejects.toBeInstanceOf(EventStoreUnavailableError);
    const foreign = event('foreign', 0);
    await first.append('trace-1-a', [foreign]);
    const other = await EsdbEventStore.fromClient(over(sim), options);
    sim.inject('readStream', 'unavailable');
    await expect(other.appendMany(w)).rejects.toBeInstanceOf(EventStoreUnavailableError);
    expect(sim.pendingFaults).toBe(0);
    await other.appendMany(w);
    const a = sim.storedStream('trace-1-a').map((e) => e.id);
    expect(a.filter((id) => id !== foreign.id)).toEqual(w[0]!.events.map((e) => e.id));
    expect(a.filter((id) => id === foreign.id)).toHaveLength(1);
    await expectStoredOnce(sim, w.slice(1));
    await other.close();
    await first.close();
  });
});
