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
    for (const body of requests) {
      const res = await fetch(`${baseUrl}/api/otel/v1/traces`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${secret}`, 'X-Temps-Project-Id': projectId, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`the OTLP endpoint ${baseUrl}/api/otel/v1/traces answered ${res.status}: ${text.slice(0, 300)}`);
      const rejected = Number((JSON.parse(text || '{}') as { partialSuccess?: { rejectedSpans?: string | number } }).partialSuccess?.rejectedSpans ?? 0);
      if (rejected) throw new Error(`the OTLP endpoint rejected ${rejected} demo span(s): ${text.slice(0, 300)}`);
      spans += body.resourceSpans.reduce((n, r) => n + r.scopeSpans.reduce((m, s) => m + s.spans.length, 0), 0);
    }
    return { projectId, createdProject: created, traceIds: traceIdsOf(requests), spans };
  } finally {
    await access.revokeApiKey(key.keyId);
  }
}

/** Deletes every demo project (a ProjectDeleted event each); returns their ids. */
export async function removeDemo(access: AccessService): Promise<string[]> {
  const demos = (await access.listProjects()).filter((p) => p.demo).map((p) => p.projectId);
  for (const id of demos) await access.deleteProject(id);
  return demos;
}
