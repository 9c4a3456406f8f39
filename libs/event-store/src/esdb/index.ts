// The EventStoreDB adapter of the event store port (@eventstore/db-client): `@temps/event-store/esdb`.
export * from './esdb-event-store';
