export * from './trace-read-store';
export * from './sqlite/sqlite-trace-read-store';
export * from './mongo/mongo-trace-read-store';
