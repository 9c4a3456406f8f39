// The trace read store port and its pure helpers only: each adapter has its own entry point
// (`@temps/read-store/sqlite`, `@temps/read-store/mongo`), and the Nest module that opens the configured
// one is `@temps/read-store/nest`, so a process that imports the port loads no driver.
export * from './trace-read-store';
export * from './read-store-config';
