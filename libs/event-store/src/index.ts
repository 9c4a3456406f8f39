export * from './event-store';
export * from './sqlite/sqlite-event-store';
export * from './deterministic-event-id';
export * from './esdb/esdb-event-store';
export * from './read-partition';
