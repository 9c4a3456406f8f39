/**
 * The entry point of a projection thread (see ProjectionThread): it loads `workerData.module` and
 * calls its export `workerData.export(workerData.data, parentPort)`, which hosts the projection
 * (hostProjection).
 *
 * Node loads this file itself as the worker's entry: in dist the .js that swc emitted (the approach of
 * libs/event-store's writer thread). So keep it ERASABLE TypeScript (no enums, no parameter properties,
 * no namespaces) and import at runtime only `node:` builtins; other modules only through `import type`.
 * (Tests start threads on the .ts sources: test/support/typescript-thread-hooks.mjs, preloaded by
 * scripts/run-tests.mjs, compiles them in the thread; nothing of that ships here.)
 */
import { readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { getPriority, setPriority } from 'node:os';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

/** Must equal PROJECTION_WORKER_KIND in projection-thread.ts (which imports this file's types only). */
const KIND = 'temps-projection-thread';

export interface ProjectionWorkerData {
  kind: typeof KIND;
  /** Absolute path of the module to run: the .js in dist (its .ts source in tests). */
  module: string;
  /** The export of `module` to call as `(data, parentPort)`; it may return a promise (a rejection crashes the thread). */
  export: string;
  /** Structured-cloneable input of that export. */
  data: unknown;
  /** Scheduling niceness for this thread (see lowerThreadPriority); absent or 0: the process's. */
  nice?: number;
}

/**
 * Lowers this thread's scheduling priority to `nice` (never raises it). Linux schedules threads on
 * their own, and setpriority on a thread id affects that thread only: the projector then yields the
 * cores to ingest's threads when both want them, and runs at full speed when they are idle. Elsewhere
 * (no /proc/thread-self) the thread keeps the process's priority. Returns the niceness in force.
 */
export function lowerThreadPriority(nice: number): number | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isSafeInteger(tid) || tid <= 0) return null;
    if (getPriority(tid) < nice) setPriority(tid, nice);
    return getPriority(tid);
  } catch {
    return null;
  }
}

function run(data: ProjectionWorkerData): void {
  if (data.nice) lowerThreadPriority(data.nice);
  const fn = (createRequire(data.module)(data.module) as Record<string, unknown>)[data.export];
  if (typeof fn !== 'function') throw new TypeError(`projection thread: ${data.module} has no function export "${data.export}"`);
  Promise.resolve()
    .then(() => fn(data.data, parentPort))
    .catch((err: unknown) => {
      // an uncaught exception ends the thread: the parent logs it (its 'error' event) and restarts it
      setImmediate(() => {
        throw err;
      });
    });
}

// Once per thread, even if this file is loaded a second time (by the CommonJS loader under jest).
const STARTED = Symbol.for('temps.projection-thread.started');
const state = globalThis as { [STARTED]?: boolean };
if (!isMainThread && (workerData as Partial<ProjectionWorkerData> | null)?.kind === KIND && !state[STARTED]) {
  state[STARTED] = true;
  run(workerData as ProjectionWorkerData);
}
