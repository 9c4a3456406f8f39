/** Which read store to open: plain data, so that a worker thread (which cannot receive a connection) can open its own. */
export type ReadStoreConfig = { kind: 'sqlite'; path: string } | { kind: 'mongo'; url: string; database?: string };
