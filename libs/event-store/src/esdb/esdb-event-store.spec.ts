import { randomUUID } from 'node:crypto';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { InMemoryEsdbClient } from '../../../../test/support/in-memory-esdb-client';
import { EsdbEventStore } from './esdb-event-store';

const event = () => ({ id: randomUUID(), type: 'TestEvent', data: { n: 1 } });

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

  describe('over an in-memory client (a fake server: no EventStoreDB server can run here)', () => {
    it('given two stores on one server (two processes), when one appends, then the other\'s listeners hear it through the live subscription', async () => {
      const server = new InMemoryEsdbClient();
      const writer = await EsdbEventStore.fromClient(server as unknown as EventStoreDBClient);
      const reader = await EsdbEventStore.fromClient(server as unknown as EventStoreDBClient);
      let heard = 0;
      reader.onAppended(() => heard++);
      await writer.append('trace-1-a', [event()]);
      await until(() => heard >= 1);
      await reader.close();
      await writer.close();
    });

    it('given the live subscription drops (a server restart), then it resubscribes and later appends are heard again', async () => {
      const server = new InMemoryEsdbClient();
      const writer = await EsdbEventStore.fromClient(server as unknown as EventStoreDBClient);
      const reader = await EsdbEventStore.fromClient(server as unknown as EventStoreDBClient);
      let heard = 0;
      reader.onAppended(() => heard++);
      await writer.append('trace-1-a', [event()]);
      await until(() => heard >= 1);
      expect(server.dropSubscriptions()).toBe(1);
      await until(() => heard >= 2); // the resubscription itself is a hint: something may have been missed meanwhile
      const before = heard;
      await writer.append('trace-1-b', [event()]);
      await until(() => heard > before);
      await reader.close();
      await writer.close();
    });

    it('given the catch-up subscription drops mid-read, then the pulls hand out what was delivered, fail once as unavailable, and the next pull from the checkpoint resubscribes without loss', async () => {
      const server = new InMemoryEsdbClient();
      const store = await EsdbEventStore.fromClient(server as unknown as EventStoreDBClient);
      const ids = Array.from({ length: 10 }, () => event());
      await store.append('trace-1-c', ids);
      const first = await store.readAll({ limit: 4 });
      expect(first).toHaveLength(4);
      server.dropSubscriptions();
      await new Promise((r) => setImmediate(r));
      const after = first[3]!.position;
      // What was delivered before the drop is still handed out, then the drop surfaces, then a new subscription.
      const rest = await store.readAll({ after, limit: 100 });
      expect([...first, ...rest].map((e) => e.id)).toEqual(ids.map((e) => e.id));
      const last = rest[rest.length - 1]!.position;
      await expect(store.readAll({ after: last, limit: 100 })).rejects.toMatchObject({ name: 'EventStoreUnavailableError' });
      expect(await store.readAll({ after: last, limit: 100 })).toEqual([]);
      const more = event();
      await store.append('trace-1-c', [more]);
      expect((await store.readAll({ after: last, limit: 100 })).map((e) => e.id)).toEqual([more.id]);
      await store.close();
    });
  });
});
