/** Which read store to open: plain data, so that a worker thread (which cannot receive a connection) can open its own. */
export type ReadStoreConfig = { kind: 'sqlite'; path: string; queries?: QueryThreadsConfig } | { kind: 'mongo'; url: string; database?: string };

/** The embedded store's query threads (see SqliteQueryThreads): TEMPS_QUERY_THREADS, TEMPS_QUERY_TIMEOUT_MS. */
export interface QueryThreadsConfig {
  threads?: number;
  timeoutMs?: number;
}
