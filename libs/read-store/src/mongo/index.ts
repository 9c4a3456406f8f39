// The MongoDB adapter of the trace read store port (mongodb driver): `@temps/read-store/mongo`.
export * from './mongo-trace-read-store';
export * from './mongo-live-update-channel';
