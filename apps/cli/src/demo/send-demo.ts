import type { AccessService } from '@temps/access';
import { demoTraceRequests, traceIdsOf } from './demo-traces';

export interface DemoSent {
  projectId: string;
  createdProject: boolean;
  traceIds: string[];
  spans: number;
}

const DEMO_NAME = 'Demo (sample traces)';

/** The live demo project, or a new one: `demo`, else `demo-2`, `demo-3`... (ids of removed ones are not reused). */
async function demoProject(access: AccessService): Promise<{ projectId: string; created: boolean }> {
  const existing = (await access.listProjects()).find((p) => p.demo);
  if (existing) return { projectId: existing.projectId, created: false };
  for (let n = 1; ; n++) {
    const id = n === 1 ? 'demo' : `demo-${n}`;
    try {
      return { projectId: await access.createProject(id, DEMO_NAME, { demo: true }), created: true };
    } catch (err) {
      if (!/already exists|was deleted/.test((err as Error).message) || n > 1000) throw err;
    }
  }
}

/**
 * Sends the demo through the real OTLP/HTTP endpoint at `baseUrl` (`/api/otel/v1/traces`, OTLP/JSON), into the
 * demo project, with an API key made for this run only (member, that project) and revoked when done.
 */
export async function sendDemo(access: AccessService, baseUrl: string): Promise<DemoSent> {
  const { projectId, created } = await demoProject(access);
  const { key, secret } = await access.createApiKey({ name: 'temps demo (revoked after the run)', role: 'member', projectIds: [projectId] });
  try {
    const requests = demoTraceRequests();
    let spans = 0;
    for (const [i, body] of requests.entries()) {
      const { res, text } = await exportWithRetry(`${baseUrl}/api/otel/v1/traces`, { Authorization: `Bearer ${secret}`, 'X-Temps-Project-Id': projectId }, JSON.stringify(body));
      const sent = `${i} of ${requests.length} demo requests sent to project ${projectId}, then`;
      if (!res.ok) throw new Error(`${sent} the OTLP endpoint ${baseUrl}/api/otel/v1/traces answered ${res.status}: ${text.slice(0, 300)}`);
      const rejected = Number((JSON.parse(text || '{}') as { partialSuccess?: { rejectedSpans?: string | number } }).partialSuccess?.rejectedSpans ?? 0);
      if (rejected) throw new Error(`${sent} the OTLP endpoint rejected ${rejected} demo span(s): ${text.slice(0, 300)}`);
      spans += body.resourceSpans.reduce((n, r) => n + r.scopeSpans.reduce((m, s) => m + s.spans.length, 0), 0);
    }
    return { projectId, createdProject: created, traceIds: traceIdsOf(requests), spans };
  } finally {
    await access.revokeApiKey(key.keyId);
  }
}

/** Waits asked for by Retry-After are capped at this, and a busy server is asked at most RETRIES more times. */
const MAX_RETRY_WAIT_MS = 5_000;
const RETRIES = 4;

/**
 * One OTLP/JSON export, retried as OTel exporters do while the server says "later" (429: too many requests in flight,
 * 503: the store is busy), after its Retry-After. Any other answer, or the last one, is the caller's to judge.
 */
async function exportWithRetry(url: string, headers: Record<string, string>, body: string): Promise<{ res: Response; text: string }> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body });
    const text = await res.text();
    if ((res.status !== 429 && res.status !== 503) || attempt === RETRIES) return { res, text };
    const seconds = Number(res.headers.get('retry-after'));
    await new Promise((r) => setTimeout(r, Math.min(MAX_RETRY_WAIT_MS, Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000)));
  }
}

/** Deletes every demo project (a ProjectDeleted event each); returns their ids. */
export async function removeDemo(access: AccessService): Promise<string[]> {
  const demos = (await access.listProjects()).filter((p) => p.demo).map((p) => p.projectId);
  for (const id of demos) await access.deleteProject(id);
  return demos;
}
