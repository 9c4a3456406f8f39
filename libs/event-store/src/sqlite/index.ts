// The embedded adapter of the event store port (node:sqlite): `@temps/event-store/sqlite`.
export * from './sqlite-event-store';
