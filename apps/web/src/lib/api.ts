import { session } from './session.svelte';
import type { MappingReport, ProjectionState, ProjectRef, Retention, SessionDetail, SessionPage, TraceDetail, TracePage, UsageBucket, UsageGroupBy, UsagePage, UsagePoint, UsageTotals } from './types';

/** An HTTP error from the query API, with the server's message when it gave one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  get forbidden() {
    return this.status === 403;
  }
  get notFound() {
    return this.status === 404;
  }
}

async function messageOf(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { message?: unknown; error?: unknown };
    const m = Array.isArray(body.message) ? body.message.join('; ') : body.message ?? body.error;
    if (typeof m === 'string' && m) return m;
  } catch {
    /* not JSON */
  }
  return `${res.status} ${res.statusText || 'error'}`;
}

/** GET a JSON path with the session's key. A 401 signs the dashboard out (the Connect form shows). */
export async function getJson<T>(path: string, init: { signal?: AbortSignal; token?: string } = {}): Promise<T> {
  const token = init.token ?? session.token;
  if (!token) throw new ApiError(401, 'No API key');
  let res: Response;
  try {
    res = await fetch(path, {
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      signal: init.signal,
      cache: 'no-store',
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'Could not reach the Temps server. Is it running?');
  }
  if (res.status === 401) {
    const message = await messageOf(res);
    if (!init.token) session.rejected(`The server did not accept this API key: ${message}`);
    throw new ApiError(401, message);
  }
  if (!res.ok) throw new ApiError(res.status, await messageOf(res));
  return (await res.json()) as T;
}

export interface TraceFilters {
  provider?: string;
  model?: string;
  status?: string;
  from?: string;
  to?: string;
  service?: string;
  /** Free text over span names and message text. */
  q?: string;
}

const enc = encodeURIComponent;

export function tracesPath(projectId: string, filters: TraceFilters, limit: number, cursor?: string | null): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
  q.set('limit', String(limit));
  if (cursor) q.set('cursor', cursor);
  return `/api/projects/${enc(projectId)}/ai/traces?${q}`;
}

export function listTraces(projectId: string, filters: TraceFilters, limit: number, cursor?: string | null, signal?: AbortSignal) {
  return getJson<TracePage>(tracesPath(projectId, filters, limit, cursor), { signal });
}

export function getTrace(projectId: string, traceId: string, signal?: AbortSignal) {
  return getJson<TraceDetail>(`/api/projects/${enc(projectId)}/ai/traces/${enc(traceId)}`, { signal });
}

export function listProjects(signal?: AbortSignal) {
  return getJson<{ items: ProjectRef[] }>('/api/projects', { signal });
}

export function listSessions(projectId: string, limit: number, cursor?: string | null, signal?: AbortSignal) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (cursor) q.set('cursor', cursor);
  return getJson<SessionPage>(`/api/projects/${enc(projectId)}/ai/sessions?${q}`, { signal });
}

export function getSession(projectId: string, sessionId: string, limit: number, cursor?: string | null, signal?: AbortSignal) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (cursor) q.set('cursor', cursor);
  return getJson<SessionDetail>(`/api/projects/${enc(projectId)}/ai/sessions/${enc(sessionId)}?${q}`, { signal });
}

export interface UsageQuery {
  from?: string;
  to?: string;
  bucket: UsageBucket;
  groupBy: UsageGroupBy;
}

/** Every point of the range: follows nextCursor until the server says there is no more (at most 50 pages). */
export async function getUsage(projectId: string, query: UsageQuery, signal?: AbortSignal): Promise<{ items: UsagePoint[]; totals: UsageTotals; bucket: UsageBucket; groupBy: UsageGroupBy }> {
  const items: UsagePoint[] = [];
  let cursor: string | null = null;
  let first: UsagePage | null = null;
  for (let i = 0; i < 50; i++) {
    const q = new URLSearchParams({ bucket: query.bucket, groupBy: query.groupBy, limit: '2000' });
    if (query.from) q.set('from', query.from);
    if (query.to) q.set('to', query.to);
    if (cursor) q.set('cursor', cursor);
    const page: UsagePage = await getJson<UsagePage>(`/api/projects/${enc(projectId)}/ai/usage?${q}`, { signal });
    first ??= page;
    items.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return { items, totals: first!.totals, bucket: first!.bucket ?? query.bucket, groupBy: first!.groupBy ?? query.groupBy };
}

export function getMapping(projectId: string, signal?: AbortSignal) {
  return getJson<MappingReport>(`/api/projects/${enc(projectId)}/ai/mapping`, { signal });
}

/** Where the projector stands (any valid key): the dashboard shows a rebuild while it runs. */
/** The retention in force for a project (the traces page says it). */
export function getRetention(projectId: string, signal?: AbortSignal) {
  return getJson<Retention>(`/api/projects/${enc(projectId)}/retention`, { signal });
}

export function getProjections(signal?: AbortSignal) {
  return getJson<{ items: ProjectionState[] }>('/api/projections', { signal });
}

async function postJson<T>(path: string): Promise<T> {
  const token = session.token;
  if (!token) throw new ApiError(401, 'No API key');
  let res: Response;
  try {
    res = await fetch(path, { method: 'POST', headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
  } catch {
    throw new ApiError(0, 'Could not reach the Temps server. Is it running?');
  }
  if (!res.ok) throw new ApiError(res.status, await messageOf(res));
  return (await res.json()) as T;
}

/** `POST /api/demo` (admin keys): the server sends the demo traces through its own OTLP endpoint into the demo project. */
export function loadDemo() {
  return postJson<{ projectId: string; traceIds: string[] }>('/api/demo');
}

/** `POST /api/projects/:id` (admin keys): creates the project, e.g. the `2` the seed's snippets send to. */
export function createProject(projectId: string) {
  return postJson<ProjectRef>(`/api/projects/${enc(projectId)}`);
}
