import { randomUUID } from 'node:crypto';
import { EsdbEventStore } from '@temps/event-store/esdb';
import { describeEventStoreConformance } from './event-store.conformance';

/**
 * The same conformance suite against EventStoreDB / KurrentDB, only when EVENTSTORE_URL is set
 * (e.g. EVENTSTORE_URL=esdb://localhost:2113?tls=false). Every test gets a store of its own stream
 * prefix: an empty store on a shared server, as the suite's factory contract asks.
 */
const url = process.env.EVENTSTORE_URL;

if (url) {
  describeEventStoreConformance('eventstoredb', () => EsdbEventStore.connect(url, { streamPrefix: `conf${randomUUID().replaceAll('-', '').slice(0, 12)}-` }), {
    deletedEventsStayInLogUntilScavenge: true, // soft-deleted events leave $all at the server's next scavenge
  });
} else {
  describe.skip('EventStore conformance: eventstoredb (skipped: EVENTSTORE_URL not set; no EventStoreDB server here)', () => {
    it('runs the shared event store suite against EventStoreDB', () => undefined);
  });
}
