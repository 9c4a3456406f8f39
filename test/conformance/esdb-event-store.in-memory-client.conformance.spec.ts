import type { EventStoreDBClient } from '@eventstore/db-client';
import { EsdbEventStore } from '@temps/event-store/esdb';
import { InMemoryEsdbClient } from '../support/in-memory-esdb-client';
import { describeEventStoreConformance } from './event-store.conformance';

/**
 * The EventStoreDB adapter's own logic (known-id skipping, expectation checks before any write, retries after
 * lost races, the filtered catch-up reader, the head past system events, prefixes) under the shared suite,
 * over an in-memory client with the server's documented semantics: no EventStoreDB server can run here.
 * The real server runs the same suite in esdb-event-store.conformance.spec.ts when EVENTSTORE_URL is set.
 */
describeEventStoreConformance('eventstoredb adapter over an in-memory client (fake server: none can run here)', () =>
  EsdbEventStore.fromClient(new InMemoryEsdbClient() as unknown as EventStoreDBClient),
);

/** Several stores on one server, told apart by their stream prefix. */
describeEventStoreConformance('eventstoredb adapter with a stream prefix, on a shared in-memory client (fake server)', (() => {
  const shared = new InMemoryEsdbClient();
  let n = 0;
  return () => EsdbEventStore.fromClient(shared as unknown as EventStoreDBClient, { streamPrefix: `store${++n}-` });
})());
