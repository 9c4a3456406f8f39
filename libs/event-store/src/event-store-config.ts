/**
 * Which event store to open: plain data, so that a worker thread (which cannot receive a connection)
 * can open its own. `writeTimeoutMs`: how long an append may wait for its commit before it fails as unavailable.
 * `maxAppendBytes` (EventStoreDB): bytes per append, at most the server's MaxAppendSize (default 1 MiB).
 */
export type EventStoreConfig = { kind: 'sqlite'; path: string; writeTimeoutMs?: number } | { kind: 'esdb'; url: string; writeTimeoutMs?: number; maxAppendBytes?: number };
