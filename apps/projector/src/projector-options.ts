import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { leaseHolderId } from '@temps/projection-runtime';
import type { TraceProjectionLease } from './create-trace-projection';
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
  /** The projector thread's scheduling niceness (see projectorNiceFromEnv); 0 or absent: the process's. */
  threadNice?: number;
  /** False: this process does not project (another one does; TEMPS_PROJECTOR=off). Default true. */
  run?: boolean;
  /**
   * The projection's lease (one projector writes at a time; see createLeasedTraceProjection). Absent or
   * null: the projection runs unleased (tests of the projection alone).
   */
  lease?: TraceProjectionLease | null;
}

/** Default niceness of the projector thread: under load it gets about a tenth of a core that ingest also wants. */
export const DEFAULT_PROJECTOR_NICE = 10;

/**
 * TEMPS_PROJECTOR_THREAD: 1 (default) runs the projector on its own thread; 0 runs it on the main
 * thread (debugging, measuring the difference).
 */
export function projectorOptionsFromEnv(files: ProjectorThreadOptions, env: NodeJS.ProcessEnv = process.env): ProjectorOptions {
  const extra = { ...(projectorRunsFromEnv(env) ? {} : { run: false }), ...idlePollFromEnv(env) };
  const raw = (env.TEMPS_PROJECTOR_THREAD ?? '').trim().toLowerCase();
  const lease = leaseFromEnv(env);
  if (['', '1', 'true', 'on', 'yes'].includes(raw)) return { thread: files, threadNice: projectorNiceFromEnv(env), lease, ...extra };
  if (['0', 'false', 'off', 'no'].includes(raw)) return { thread: null, lease, ...extra };
  throw new Error(`TEMPS_PROJECTOR_THREAD must be 1 (the projector runs on its own thread, the default) or 0 (on the main thread), got "${env.TEMPS_PROJECTOR_THREAD}"`);
}

/**
 * TEMPS_PROJECTOR_NICE: the projector thread's niceness, 0-19 (default 10; Linux, elsewhere ignored).
 * Ingest answers only after its commit, so when the cores are short ingest's threads go first and the
 * projector catches up as soon as they idle (ack-to-visible grows under saturation, never the acks'
 * latency). 0 keeps the projector at the process's priority.
 */
export function projectorNiceFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = (env.TEMPS_PROJECTOR_NICE ?? '').trim();
  if (raw === '') return DEFAULT_PROJECTOR_NICE;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0 || n > 19) throw new Error(`TEMPS_PROJECTOR_NICE must be a whole number from 0 to 19, got "${env.TEMPS_PROJECTOR_NICE}"`);
  return n;
}

/**
 * TEMPS_PROJECTOR: on (default) projects in this process; off serves the query API and live sockets
 * without projecting (another process projects and its commits arrive through the shared live update
 * channel): what the `api` role is.
 */
export function projectorRunsFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = (env.TEMPS_PROJECTOR ?? '').trim().toLowerCase();
  if (['', '1', 'true', 'on', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'off', 'no'].includes(raw)) return false;
  throw new Error(`TEMPS_PROJECTOR must be on (this process projects, the default) or off (another process does), got "${env.TEMPS_PROJECTOR}"`);
}

/**
 * TEMPS_PROJECTOR_IDLE_POLL_MS: how often an idle projector reads the log for events another process
 * appended (default 250 ms). Appends of its own process wake it at once; with ingest in other processes
 * this poll is most of the time from ack to live update, so a lower value (e.g. 50) buys latency for
 * one indexed read of the log per poll.
 */
function idlePollFromEnv(env: NodeJS.ProcessEnv): { idlePollMs?: number } {
  const raw = (env.TEMPS_PROJECTOR_IDLE_POLL_MS ?? '').trim();
  if (raw === '') return {};
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 5 || n > 60_000) throw new Error(`TEMPS_PROJECTOR_IDLE_POLL_MS must be a whole number of milliseconds from 5 to 60000, got "${env.TEMPS_PROJECTOR_IDLE_POLL_MS}"`);
  return { idlePollMs: n };
}

/**
 * TEMPS_BUILD_THREADS: how many threads bulk-load a fresh build of the read model (a rebuild, a new
 * version), each one partition of the log. Default: the machine's cores, at most 4 (the writes to one
 * SQLite file take turns, so more threads add little). 1: one partition, on the projector's thread.
 */
export function buildThreadsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = (env.TEMPS_BUILD_THREADS ?? '').trim();
  if (raw === '') return Math.min(4, availableParallelism());
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1 || n > 64) throw new Error(`TEMPS_BUILD_THREADS must be a whole number from 1 to 64, got "${env.TEMPS_BUILD_THREADS}"`);
  return n;
}

/**
 * TEMPS_LEASE_TTL_MS (default 5000): how long the projection's lease lasts without renewal, so how long
 * after a holder's death (another host's; a dead process of this host is replaced at once) a standby takes
 * over. The holder renews it every quarter of that. Projectors' clocks must agree within a fraction of it.
 */
export function leaseFromEnv(env: NodeJS.ProcessEnv = process.env): TraceProjectionLease {
  const raw = (env.TEMPS_LEASE_TTL_MS ?? '').trim();
  const ttlMs = raw === '' ? 5000 : Number(raw);
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 200 || ttlMs > 600_000) throw new Error(`TEMPS_LEASE_TTL_MS must be a whole number of milliseconds from 200 to 600000, got "${env.TEMPS_LEASE_TTL_MS}"`);
  return { holder: leaseHolderId(randomBytes(4).toString('hex')), ttlMs, intervalMs: Math.max(50, Math.floor(ttlMs / 4)) };
}
