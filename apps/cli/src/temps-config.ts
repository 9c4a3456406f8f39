import { join, resolve } from 'node:path';
import { ACCESS_ID_RULE, isAccessId } from '@temps/domain';
import type { StoresConfig } from '@temps/projector';

export interface TempsConfig {
  port: number;
  host: string;
  dataDir: string;
  bootstrapApiKey?: string;
  /** TEMPS_DEFAULT_PROJECT: the project id a first start creates (default 1). */
  defaultProject: string;
  webDir: string;
  /** TEMPS_ROLE: what this process runs (see TEMPS_ROLES). */
  role: TempsRole;
  /** TEMPS_EVENT_STORE / TEMPS_READ_STORE and their URLs. */
  stores: StoresConfig;
}

/**
 * all: everything in one process (the default). ingest: the OTLP receiver only. api: the query API,
 * socket.io live gateway, dashboard, access and projects API, AI gateway (no projection). projector: the
 * projection only (under its lease; HTTP: /healthz, /readyz, /metrics). Several can be combined with
 * commas (`api,projector` is what `projector` meant before the api role). Any number of processes of
 * these roles share one event store and read store (EventStoreDB + MongoDB, or one SQLite data dir on one machine).
 */
export const TEMPS_ROLES = ['all', 'ingest', 'api', 'projector'] as const;
/** 'all', one part, or parts joined by commas in the order ingest, api, projector (e.g. 'api,projector'). */
export type TempsRole = string;
export type TempsRolePart = 'ingest' | 'api' | 'projector';

/** What a role runs. */
export function roleParts(role: TempsRole): Record<TempsRolePart, boolean> {
  const parts = role === 'all' ? ['ingest', 'api', 'projector'] : role.split(',');
  return { ingest: parts.includes('ingest'), api: parts.includes('api'), projector: parts.includes('projector') };
}

/** Root of the installed package (this file is at dist/apps/cli/src/ once built). */
export const packageRoot = resolve(__dirname, '../../../..');

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): TempsConfig {
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    dataDir: resolve(env.TEMPS_DATA_DIR ?? './data'),
    bootstrapApiKey: env.TEMPS_BOOTSTRAP_API_KEY || undefined,
    defaultProject: defaultProjectFromEnv(env),
    webDir: resolve(env.TEMPS_WEB_DIR ?? resolve(packageRoot, 'apps/web/build')),
    role: roleFromEnv(env),
    stores: storesConfigFromEnv(env),
  };
}

export function defaultProjectFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const id = (env.TEMPS_DEFAULT_PROJECT ?? '').trim() || '1';
  if (!isAccessId(id)) throw new Error(`TEMPS_DEFAULT_PROJECT must be ${ACCESS_ID_RULE}, got "${env.TEMPS_DEFAULT_PROJECT}"`);
  return id;
}

export function roleFromEnv(env: NodeJS.ProcessEnv = process.env): TempsRole {
  const raw = (env.TEMPS_ROLE ?? '').trim().toLowerCase() || 'all';
  const parts = raw.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0 || parts.some((p) => !(TEMPS_ROLES as readonly string[]).includes(p)) || (parts.includes('all') && parts.length > 1)) {
    throw new Error(`TEMPS_ROLE must be one of ${TEMPS_ROLES.join(', ')} (all: everything in one process, the default), or several of ingest, api, projector joined by commas, got "${env.TEMPS_ROLE}"`);
  }
  const order: TempsRolePart[] = ['ingest', 'api', 'projector'];
  const chosen = order.filter((p) => parts.includes(p));
  return parts.includes('all') || chosen.length === order.length ? 'all' : chosen.join(',');
}

/** The database named in a MongoDB URL's path (its default database), if any. */
export function mongoDatabaseOf(url: string): string | undefined {
  const m = /^mongodb(?:\+srv)?:\/\/[^/?]*\/([^?]+)/.exec(url);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

/**
 * TEMPS_EVENT_STORE=sqlite (default: events.db in TEMPS_DATA_DIR) | esdb (EVENTSTORE_URL);
 * TEMPS_READ_STORE=sqlite (default: read.db in TEMPS_DATA_DIR) | mongo (MONGO_URL, database from its path, else "temps").
 */
export function storesConfigFromEnv(env: NodeJS.ProcessEnv = process.env): StoresConfig {
  const dataDir = resolve(env.TEMPS_DATA_DIR ?? './data');
  const rawTimeout = env.TEMPS_EVENT_STORE_WRITE_TIMEOUT_MS;
  const writeTimeoutMs = rawTimeout === undefined || rawTimeout === '' ? undefined : Number(rawTimeout);
  if (writeTimeoutMs !== undefined && !(Number.isInteger(writeTimeoutMs) && writeTimeoutMs > 0)) {
    throw new Error(`TEMPS_EVENT_STORE_WRITE_TIMEOUT_MS must be a positive number of milliseconds, got "${rawTimeout}"`);
  }
  const timeout = writeTimeoutMs === undefined ? {} : { writeTimeoutMs };

  let events: StoresConfig['events'];
  const eventKind = (env.TEMPS_EVENT_STORE ?? '').trim().toLowerCase() || 'sqlite';
  if (eventKind === 'sqlite') {
    events = { kind: 'sqlite', path: join(dataDir, 'events.db'), ...timeout };
  } else if (eventKind === 'esdb') {
    const url = env.EVENTSTORE_URL?.trim();
    if (!url) throw new Error('TEMPS_EVENT_STORE=esdb needs EVENTSTORE_URL, e.g. EVENTSTORE_URL=esdb://localhost:2113?tls=false');
    if (!/^esdb(\+discover)?:\/\//.test(url)) throw new Error(`EVENTSTORE_URL must start with esdb:// or esdb+discover://, got "${url}"`);
    const maxAppendBytes = esdbMaxAppendBytesFromEnv(env);
    events = { kind: 'esdb', url, ...timeout, ...(maxAppendBytes === undefined ? {} : { maxAppendBytes }) };
  } else {
    throw new Error(`TEMPS_EVENT_STORE must be sqlite (the default: events.db in TEMPS_DATA_DIR) or esdb (EventStoreDB/KurrentDB at EVENTSTORE_URL), got "${env.TEMPS_EVENT_STORE}"`);
  }

  let reads: StoresConfig['reads'];
  const readKind = (env.TEMPS_READ_STORE ?? '').trim().toLowerCase() || 'sqlite';
  if (readKind === 'sqlite') {
    const queries = queryThreadsFromEnv(env);
    reads = { kind: 'sqlite', path: join(dataDir, 'read.db'), ...(Object.keys(queries).length ? { queries } : {}) };
  } else if (readKind === 'mongo') {
    const url = env.MONGO_URL?.trim();
    if (!url) throw new Error('TEMPS_READ_STORE=mongo needs MONGO_URL, e.g. MONGO_URL=mongodb://localhost:27017/temps?replicaSet=rs0');
    if (!/^mongodb(\+srv)?:\/\//.test(url)) throw new Error(`MONGO_URL must start with mongodb:// or mongodb+srv://, got "${url}"`);
    const database = mongoDatabaseOf(url);
    reads = database === undefined ? { kind: 'mongo', url } : { kind: 'mongo', url, database };
  } else {
    throw new Error(`TEMPS_READ_STORE must be sqlite (the default: read.db in TEMPS_DATA_DIR) or mongo (MongoDB at MONGO_URL), got "${env.TEMPS_READ_STORE}"`);
  }
  return { events, reads };
}

/** Below this an append cannot hold a typical span: every item would be rejected as too large. */
export const MIN_ESDB_MAX_APPEND_BYTES = 4096;

/**
 * TEMPS_ESDB_MAX_APPEND_BYTES (with esdb; default: the adapter's 1 MiB, the server's default MaxAppendSize).
 * A value that is not a whole number of bytes stops the start: ignoring it would leave appends at 1 MiB
 * against a server configured lower (every large request a 503), or cut them needlessly small.
 */
export function esdbMaxAppendBytesFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.TEMPS_ESDB_MAX_APPEND_BYTES;
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!(Number.isInteger(n) && n >= MIN_ESDB_MAX_APPEND_BYTES)) {
    throw new Error(`TEMPS_ESDB_MAX_APPEND_BYTES must be a whole number of bytes, at least ${MIN_ESDB_MAX_APPEND_BYTES} and at most the server's MaxAppendSize (default 1048576), got "${raw}"`);
  }
  return n;
}

/** TEMPS_QUERY_THREADS (half the cores, at most 4) and TEMPS_QUERY_TIMEOUT_MS (10000): the embedded read store's query threads and a query's time budget. */
export function queryThreadsFromEnv(env: NodeJS.ProcessEnv = process.env): { threads?: number; timeoutMs?: number } {
  const positive = (name: string) => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    const n = Number(raw);
    if (!(Number.isInteger(n) && n > 0)) throw new Error(`${name} must be a positive integer, got "${raw}"`);
    return n;
  };
  const threads = positive('TEMPS_QUERY_THREADS');
  const timeoutMs = positive('TEMPS_QUERY_TIMEOUT_MS');
  return { ...(threads === undefined ? {} : { threads }), ...(timeoutMs === undefined ? {} : { timeoutMs }) };
}
