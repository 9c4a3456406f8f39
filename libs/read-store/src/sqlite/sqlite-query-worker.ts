/**
 * The entry point of a query thread (see SqliteQueryThreads): opens its own connection to the read
 * store file (a WAL reader: it never blocks the projector's writes, nor they it) and answers TraceQueries
 * calls, one at a time, each within its deadline.
 *
 * Node loads this file itself as the worker's entry (the .js in dist; in tests the .ts source, compiled by
 * test/support/typescript-thread-hooks.mjs): keep it ERASABLE TypeScript and import at runtime only `node:`
 * builtins; the adapter is loaded from `workerData.module`.
 */
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { SqliteTraceReadStore } from './sqlite-trace-read-store';

/** Must equal QUERY_WORKER_KIND in sqlite-query-threads.ts (which imports this file's types only). */
const KIND = 'temps-query-thread';

/** The query threads' nice value (0 is the process's; 19 the lowest priority). */
const QUERY_THREAD_NICE = 10;

export interface QueryWorkerData {
  kind: typeof KIND;
  /** Absolute path of the adapter module (sqlite-trace-read-store: .js in dist, .ts in tests). */
  module: string;
  /** The read store file. */
  path: string;
}

/** The TraceQueries methods a query thread answers. */
export const QUERY_METHODS = ['listTraces', 'listServiceNames', 'getTrace', 'counterRows', 'listSessions', 'getSession', 'listSessionTraces'] as const;
export type QueryMethod = (typeof QUERY_METHODS)[number];

export interface QueryRequest {
  id: number;
  method: QueryMethod;
  args: unknown[];
  /** Epoch ms after which the query is stopped; budgetMs: the budget's length, for the error message. */
  deadline: number;
  budgetMs: number;
}

export type QueryReply = { id: number; value: unknown } | { id: number; error: { name: string; message: string } };

function serve(data: QueryWorkerData): void {
  try {
    // Linux nice values are per thread: this one yields the cores to ingest and the projector when they want them.
    setPriority(QUERY_THREAD_NICE);
  } catch {
    /* not permitted here: same priority as the rest */
  }
  const { SqliteTraceReadStore: Store } = createRequire(data.module)(data.module) as { SqliteTraceReadStore: typeof SqliteTraceReadStore };
  const store = Store.open(data.path);
  const port = parentPort!;
  port.postMessage('ready');
  port.on('message', (request: QueryRequest | 'close') => {
    if (request === 'close') {
      void store.close().then(() => port.close());
      return;
    }
    const { id, method, args } = request;
    const call = () => (store[method] as (...a: unknown[]) => Promise<unknown>)(...args);
    store.withDeadline(request.deadline, request.budgetMs, call).then(
      (value) => port.postMessage({ id, value } satisfies QueryReply),
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        port.postMessage({ id, error: { name: e.name, message: e.message } } satisfies QueryReply);
      },
    );
  });
}

if (!isMainThread && (workerData as QueryWorkerData | undefined)?.kind === KIND) serve(workerData as QueryWorkerData);
