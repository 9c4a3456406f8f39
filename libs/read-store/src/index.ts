export * from './trace-read-store';
export * from './sqlite/sqlite-trace-read-store';
