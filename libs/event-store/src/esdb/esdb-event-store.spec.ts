import { randomUUID } from 'node:crypto';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { EsdbSimulator } from '../../../../test/support/esdb-simulator';
import { EventStoreUnavailableError } from '../event-store';
import { EsdbEventStore } from './esdb-event-store';

const event = (pad = 0) => ({ id: randomUUID(), type: 'TestEvent', data: { n: 1, pad: 'x'.repeat(pad) } });
const over = (sim: EsdbSimulator) => sim as unknown as EventStoreDBClient;

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('EsdbEventStore', () => {
  it('given no server at the URL, when connecting, then it fails at once saying where', async () => {
    await expect(EsdbEventStore.connect('esdb://127.0.0.1:1?tls=false')).rejects.toThrow(/cannot reach EventStoreDB at esdb:\/\/127\.0\.0\.1:1\?tls=false: .*UNAVAILABLE/);
  });

  describe('over the simulator (no EventStoreDB server can run here)', () => {
    it('given a consumer at the head, when another process appends, then its listeners hear it from the consumer\'s own reader (no second subscription)', async () => {
      const sim = new EsdbSimulator();
      const writer = await EsdbEventStore.fromClient(over(sim));
      const reader = await EsdbEventStore.fromClient(over(sim));
      let heard = 0;
      reader.onAppended(() => heard++);
      expect(await reader.readAll({ limit: 10 })).toEqual([]);
      await writer.append('trace-1-a', [event()]);
      await until(() => heard >= 1);
      expect(sim.calls.subscribe).toBe(1);
      await reader.close();
      await writer.close();
    });

    it('given two consumers at different positions (a serving and a blue/green build), when they pull in turns, then each keeps its own subscription', async () => {
      const sim = new EsdbSimulator();
      const store = await EsdbEventStore.fromClient(over(sim));
      await store.append('trace-1-a', Array.from({ length: 40 }, () => event()));
      let serving: bigint | undefined;
      let building: bigint | undefined;
      for (let i = 0; i < 6; i++) {
        const s = await store.readAll({ after: serving, limit: 5 });
        serving = s[s.length - 1]!.position;
        const b = await store.readAll({ after: building, limit: 3 });
        building = b[b.length - 1]!.position;
        // A status probe: one event after the serving checkpoint, not consumed.
        expect(await store.readAll({ after: serving, limit: 1 })).toHaveLength(1);
      }
      expect(sim.calls.subscribe).toBe(2);
      await store.close();
    });

    it('given a consumer at the head, then the caught-up signal answers an empty pull and headPosition without reading $all backwards', async () => {
      const sim = new EsdbSimulator();
      const store = await EsdbEventStore.fromClient(over(sim));
      const { lastPosition } = await store.append('trace-1-a', [event(), event()]);
      const all = await store.readAll({ limit: 10 });
      sim.resetCounters();
      expect(await store.readAll({ after: all[1]!.position, limit: 10 })).toEqual([]);
      expect(await store.headPosition()).toBe(lastPosition);
      expect(sim.roundTrips).toBe(0);
      await store.close();
    });

    it.each(['dropSubscriptions', 'cancelSubscriptions', 'leaderChange'] as const)('given %s on the server mid-read, then the next pull from the checkpoint resubscribes and nothing is lost or repeated', async (fault) => {
      const sim = new EsdbSimulator();
      const store = await EsdbEventStore.fromClient(over(sim));
      const events = Array.from({ length: 10 }, () => event());
      await store.append('trace-1-c', events);
      const first = await store.readAll({ limit: 4 });
      sim[fault]();
      await new Promise((r) => setImmediate(r));
      // A leader change also fails the next call (the resubscription): one unavailable pull, then it resumes.
      if (fault === 'leaderChange') await expect(store.readAll({ after: first[3]!.position, limit: 100 })).rejects.toBeInstanceOf(EventStoreUnavailableError);
      const rest = await store.readAll({ after: first[3]!.position, limit: 100 });
      expect([...first, ...rest].map((e) => e.id)).toEqual(events.map((e) => e.id));
      expect(sim.calls.subscribe).toBe(fault === 'leaderChange' ? 3 : 2);
      await store.close();
    });

    it.each(['unavailable', 'cancelled', 'not_leader'] as const)('given the subscription fails with %s while a pull waits, then the pull rejects with EventStoreUnavailableError and the next one resumes', async (kind) => {
      const sim = new EsdbSimulator();
      const store = await EsdbEventStore.fromClient(over(sim));
      const events = [event(), event()];
      await store.append('trace-1-d', events);
      sim.inject('subscribe', kind);
      await expect(store.readAll({ limit: 10 })).rejects.toBeInstanceOf(EventStoreUnavailableError);
      expect((await store.readAll({ limit: 10 })).map((e) => e.id)).toEqual(events.map((e) => e.id));
      await store.close();
    });

    it.each([
      ['unavailable', 'unavailable'],
      ['not leader', 'not_leader'],
      ['deadline', 'deadline'],
      ['cancelled', 'cancelled'],
    ] as const)('given the server answers an append with %s, then the append rejects with EventStoreUnavailableError', async (_label, kind) => {
      const sim = new EsdbSimulator();
      const store = await EsdbEventStore.fromClient(over(sim));
      sim.inject('append', kind);
      await expect(store.append('trace-1-e', [event()])).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await store.close();
    });

    it('given appends slower than the write timeout (8 ms each, 5 ms budget), then the append is unavailable, and its retry stores it once', async () => {
      const sim = new EsdbSimulator({ appendLatencyMs: 8 });
      const store = await EsdbEventStore.fromClient(over(sim), { writeTimeoutMs: 5 });
      const e = event();
      await expect(store.append('trace-1-f', [e])).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await new Promise((r) => setTimeout(r, 20)); // the server committed it anyway
      sim.appendLatencyMs = 0;
      await store.append('trace-1-f', [e]);
      expect(sim.storedStream('trace-1-f').map((x) => x.id)).toEqual([e.id]);
      expect(sim.callsWithoutDeadline).toBe(0);
      await store.close();
    });

    it('given a server whose MaxAppendSize is below the adapter\'s setting, then the refusal is unavailable with the fix in the message', async () => {
      const sim = new EsdbSimulator({ maxAppendSize: 1000 });
      const store = await EsdbEventStore.fromClient(over(sim), { maxAppendBytes: 1_048_576 });
      await expect(store.append('trace-1-g', [event(2000)])).rejects.toThrow(/MaxAppendSize of 1000 bytes; set TEMPS_ESDB_MAX_APPEND_BYTES/);
      expect(sim.appendsOverMaxSize).toBe(1);
      await store.close();
    });

    it('given one event over the append size, then it is refused as unavailable before any round trip, saying which event', async () => {
      const sim = new EsdbSimulator();
      const store = await EsdbEventStore.fromClient(over(sim), { maxAppendBytes: 1000 });
      sim.resetCounters();
      const big = event(2000);
      await expect(store.append('trace-1-h', [big])).rejects.toThrow(new RegExp(`event ${big.id} is about \\d+ bytes, over the maximum append size of 1000`));
      expect(sim.roundTrips).toBe(0);
      await store.close();
    });

    it('given 300 appends to one hourly metrics stream, then each costs one round trip and reads back no events (O(1), not O(stream))', async () => {
      const sim = new EsdbSimulator();
      const store = await EsdbEventStore.fromClient(over(sim));
      sim.resetCounters();
      for (let i = 0; i < 300; i++) await store.append('metrics-1-2026120620', [event(), event()]);
      expect(sim.calls.append).toBe(300);
      expect(sim.eventsRead).toBe(0);
      expect(sim.calls.readStream).toBe(0);
      await store.close();
    });

    it('given two processes appending to the same streams at once (2 ms per append), then nothing is lost or stored twice, and each conflict reads back a bounded tail', async () => {
      const sim = new EsdbSimulator({ appendLatencyMs: 2 });
      const a = await EsdbEventStore.fromClient(over(sim));
      const b = await EsdbEventStore.fromClient(over(sim));
      const streams = ['metrics-1-2026120620', 'logs-1-2026120620', 'trace-1-shared'];
      const calls = Array.from({ length: 40 }, () => streams.map((stream) => ({ stream, events: [event(), event()], expected: 'any' as const })));
      sim.resetCounters();
      await Promise.all(calls.map((writes, i) => (i % 2 ? a : b).appendMany(writes)));
      for (const stream of streams) {
        const stored = sim.storedStream(stream).map((e) => e.id);
        expect(stored).toHaveLength(80);
        expect(new Set(stored)).toEqual(new Set(calls.flatMap((w) => w.find((x) => x.stream === stream)!.events.map((e) => e.id))));
      }
      expect(sim.eventsRead).toBeLessThanOrEqual(sim.calls.readStream * (256 + 2 * 2));
      expect(sim.callsWithoutDeadline).toBe(0);
      await a.close();
      await b.close();
    });

    it('given a stream_exists call retried by a process that has not seen the stream, then it reads one bounded tail and stores nothing twice', async () => {
      const sim = new EsdbSimulator();
      const a = await EsdbEventStore.fromClient(over(sim));
      const b = await EsdbEventStore.fromClient(over(sim));
      const retried = [event(), event()];
      await a.append('access-like', [event()]);
      await a.append('access-like', retried, 'stream_exists');
      sim.resetCounters();
      await expect(b.append('access-like', retried, 'stream_exists')).resolves.toEqual({ appended: 0, lastPosition: null });
      expect(sim.calls).toMatchObject({ append: 0, readStream: 1 });
      expect(sim.storedStream('access-like')).toHaveLength(3);
      await a.close();
      await b.close();
    });
  });
});
