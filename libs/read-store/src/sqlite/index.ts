// The embedded adapter of the trace read store port (node:sqlite): `@temps/read-store/sqlite`.
export * from './sqlite-trace-read-store';
export * from './sqlite-live-update-channel';
export * from './sqlite-query-threads';
