// The event store port and its pure helpers only: each adapter has its own entry point
// (`@temps/event-store/sqlite`, `@temps/event-store/esdb`), and the Nest module that opens the configured
// one is `@temps/event-store/nest`, so a process that imports the port loads no driver.
export * from './event-store';
export * from './event-store-config';
export * from './deterministic-event-id';
export * from './read-partition';
