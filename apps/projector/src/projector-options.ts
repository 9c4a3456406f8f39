import type { StoresConfig } from './open-stores';

/** Nest injection token for ProjectorOptions (optional: without it the projector runs in-process). */
export const PROJECTOR_OPTIONS = Symbol('ProjectorOptions');

export interface ProjectorThreadOptions {
  /**
   * The stores the thread opens for itself, of the same kinds as the process's: its own read-only
   * connection to the log (SQLite) or its own client (EventStoreDB, MongoDB). It is the read model's only writer.
   */
  stores: StoresConfig;
}

export interface ProjectorOptions {
  /**
   * Set: the projection runs on a worker thread of this process, on its own connections to these stores
   * (the injected TRACE_READ_STORE then only serves queries). Null: it runs on the caller's thread with
   * the injected stores (in-process mode).
   */
  thread: ProjectorThreadOptions | null;
  /** How often an idle projector looks for events appended by another process (default 250 ms). */
  idlePollMs?: number;
}

/**
 * TEMPS_PROJECTOR_THREAD: 1 (default) runs the projector on its own thread; 0 runs it on the main
 * thread (debugging, measuring the difference).
 */
export function projectorOptionsFromEnv(files: ProjectorThreadOptions, env: NodeJS.ProcessEnv = process.env): ProjectorOptions {
  const raw = (env.TEMPS_PROJECTOR_THREAD ?? '').trim().toLowerCase();
  if (['', '1', 'true', 'on', 'yes'].includes(raw)) return { thread: files };
  if (['0', 'false', 'off', 'no'].includes(raw)) return { thread: null };
  throw new Error(`TEMPS_PROJECTOR_THREAD must be 1 (the projector runs on its own thread, the default) or 0 (on the main thread), got "${env.TEMPS_PROJECTOR_THREAD}"`);
}
