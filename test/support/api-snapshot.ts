import { getJson, type RunningServer } from './temps-server';

/** Every trace of project 1, through the paged list API. */
export async function allTraces(server: RunningServer): Promise<Map<string, any>> {
  const out = new Map<string, any>();
  let cursor = '';
  do {
    const { status, body } = await getJson(server, `/api/projects/1/ai/traces?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    expect(status).toBe(200);
    for (const t of body.items) out.set(t.traceId, t);
    cursor = body.nextCursor ?? '';
  } while (cursor);
  return out;
}

/** The read side as the API shows it (traces, usage, sessions, mapping report), for comparing two builds. */
export async function apiSnapshot(server: RunningServer) {
  const traces = [...(await allTraces(server)).values()].sort((a, b) => (a.traceId < b.traceId ? -1 : 1));
  const from = new Date(Date.now() - 7 * 86_400_000).toISOString();
  const { status, body: usage } = await getJson(server, `/api/projects/1/ai/usage?from=${from}&bucket=day&groupBy=model`);
  expect(status).toBe(200);
  const sessions = (await getJson(server, '/api/projects/1/ai/sessions?limit=500')).body.items;
  const mapping = (await getJson(server, '/api/projects/1/ai/mapping')).body;
  return { traces: traces.map(({ updatedPosition: _u, ...t }) => t), usage: { items: usage.items, totals: usage.totals }, sessions, mapping };
}

