import { SpanStatusCode } from '@opentelemetry/api';
import { otelPipeline, sendAgentTrace } from '../support/send-spans';
import { eventually, getJson, startServer, type RunningServer } from '../support/temps-server';

/**
 * Usage, sessions and the mapping report through `temps serve`, fed by the real OTel exporter: the
 * seed agent trace (two chat calls under an agent span that repeats their usage) three times, and a
 * two-turn conversation (gen_ai.conversation.id) whose second turn fails.
 */
describe('temps serve: usage, sessions and mapping report', () => {
  let server: RunningServer;
  const agentTraces: string[] = [];
  const turns: string[] = [];

  async function sendTurn(conversationId: string, question: string, fail: boolean): Promise<string> {
    const { flush, tracer } = otelPipeline(`${server.url}/api/otel/v1/traces`, { Authorization: `Bearer ${server.apiKey}`, 'X-Temps-Project-Id': '1' }, 'support-bot');
    const span = tracer.startSpan('chat claude-sonnet-4');
    span.setAttributes({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4',
      'gen_ai.conversation.id': conversationId,
      'user.id': 'user-42',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 200,
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: question }] }]),
      'gen_ai.vendor.secret_sauce': 'not a semconv key',
    });
    if (fail) span.setStatus({ code: SpanStatusCode.ERROR, message: 'overloaded' });
    span.end();
    await flush();
    return span.spanContext().traceId;
  }

  beforeAll(async () => {
    server = await startServer();
    for (let i = 0; i < 3; i++) agentTraces.push((await sendAgentTrace(server.url, server.apiKey, '1')).traceId);
    turns.push(await sendTurn('conv-e2e', 'Where is my parcel?', false));
    await new Promise((r) => setTimeout(r, 20)); // the second turn starts later
    turns.push(await sendTurn('conv-e2e', 'Still nothing?', true));
    await eventually(async () => {
      const { body } = await getJson(server, '/api/projects/1/ai/traces?limit=50');
      return body.items?.length === 5 && body.items.every((t: any) => !t.inProgress) ? true : undefined;
    }, 20_000, 'all five traces projected');
  });
  afterAll(() => server?.stop());

  it('reports usage per model with calls, tokens (not double counted), cost, errors and latency percentiles', async () => {
    const { status, body } = await getJson(server, '/api/projects/1/ai/usage?groupBy=model&bucket=hour');
    expect(status).toBe(200);
    expect(body).toMatchObject({ bucket: 'hour', groupBy: 'model', nextCursor: null });
    const byModel = new Map<string, any>();
    for (const p of body.items) {
      const current = byModel.get(p.model);
      byModel.set(p.model, current ? { ...current, calls: current.calls + p.calls, inputTokens: current.inputTokens + p.inputTokens } : p);
    }
    // Three seed traces: two gpt-4o calls each (150/32 and 410/96); the agent span's repeat is not counted.
    expect(byModel.get('gpt-4o-2024-08-06')).toMatchObject({ provider: 'openai', calls: 6, inputTokens: 3 * 560, errors: 0 });
    expect(byModel.get('claude-sonnet-4')).toMatchObject({ provider: 'anthropic', calls: 2, errors: 1, inputTokens: 2000 });
    const gpt = body.items.find((p: any) => p.model === 'gpt-4o-2024-08-06');
    expect(gpt.cost).toBeCloseTo((3 * (560 * 2.5 + 128 * 10)) / 1e6, 9);
    expect(gpt.latencyMs).toEqual({ p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number) });
    expect(gpt.latencyMs.p50).toBeLessThanOrEqual(gpt.latencyMs.p99);
    expect(body.totals).toMatchObject({ calls: 8, errors: 1, inputTokens: 3 * 560 + 2000, outputTokens: 3 * 128 + 400 });

    // The trace list agrees with the usage totals (same counting rule).
    const list = (await getJson(server, '/api/projects/1/ai/traces?limit=50')).body.items as any[];
    expect(list.reduce((n, t) => n + t.inputTokens, 0)).toBe(body.totals.inputTokens);
  });

  it('groups by provider and by day, pages with a cursor, and rejects bad parameters', async () => {
    const byProvider = (await getJson(server, '/api/projects/1/ai/usage?groupBy=provider&bucket=day')).body;
    expect(byProvider.items.map((p: any) => [p.provider, p.model])).toEqual(
      expect.arrayContaining([
        ['anthropic', null],
        ['openai', null],
      ]),
    );
    const all = (await getJson(server, '/api/projects/1/ai/usage?groupBy=model')).body.items;
    const paged: any[] = [];
    let cursor = '';
    do {
      const { body } = await getJson(server, `/api/projects/1/ai/usage?groupBy=model&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      paged.push(...body.items);
      cursor = body.nextCursor ?? '';
    } while (cursor);
    expect(paged).toEqual(all);

    expect((await getJson(server, '/api/projects/1/ai/usage?bucket=week')).status).toBe(400);
    expect((await getJson(server, '/api/projects/1/ai/usage?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z')).status).toBe(400);
    expect((await getJson(server, '/api/projects/1/ai/usage?cursor=nonsense')).status).toBe(400);
    expect((await getJson(server, '/api/projects/1/ai/usage', 'tk_wrong_key_000000000000000000000000')).status).toBe(401);
    const empty = (await getJson(server, '/api/projects/1/ai/usage?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z')).body;
    expect(empty).toMatchObject({ items: [], totals: { calls: 0, cost: null, latencyMs: null } });
  });

  it('lists the conversation as a session with its traces in order', async () => {
    const { body: list } = await getJson(server, '/api/projects/1/ai/sessions');
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ sessionId: 'conv-e2e', traceCount: 2, errorCount: 1, inputTokens: 2000, outputTokens: 400, userIds: ['user-42'], models: ['claude-sonnet-4'] });
    const { status, body } = await getJson(server, '/api/projects/1/ai/sessions/conv-e2e');
    expect(status).toBe(200);
    expect(body.traces.items.map((t: any) => t.traceId)).toEqual(turns);
    expect(body.traces.nextCursor).toBeNull();
    const firstPage = (await getJson(server, '/api/projects/1/ai/sessions/conv-e2e?limit=1')).body;
    expect(firstPage.traces.items.map((t: any) => t.traceId)).toEqual([turns[0]]);
    const secondPage = (await getJson(server, `/api/projects/1/ai/sessions/conv-e2e?limit=1&cursor=${firstPage.traces.nextCursor}`)).body;
    expect(secondPage.traces.items.map((t: any) => t.traceId)).toEqual([turns[1]]);
    expect((await getJson(server, '/api/projects/1/ai/sessions/no-such-conversation')).status).toBe(404);
  });

  it('counts, per project, the dialects detected and the keys no dialect understood', async () => {
    const { status, body } = await getJson(server, '/api/projects/1/ai/mapping');
    expect(status).toBe(200);
    expect(body.dialects.length).toBeGreaterThan(0);
    expect(body.dialects[0].spans).toBeGreaterThanOrEqual(14);
    expect(body.unmappedKeys).toEqual([{ key: 'gen_ai.vendor.secret_sauce', spans: 2 }]);
  });

  it('reports where the trace projection stands: version, serving build, lag in events and seconds', async () => {
    const { status, body } = await getJson(server, '/api/projections');
    expect(status).toBe(200);
    expect(body.items).toEqual([
      expect.objectContaining({ name: 'traces', version: 3, serving: { namespace: 'traces_v3', version: 3 }, lagEvents: 0, lagSeconds: 0, rebuild: null, position: expect.stringMatching(/^\d+$/) }),
    ]);
    expect((await getJson(server, '/api/projections', 'tk_wrong_key_000000000000000000000000')).status).toBe(401);
  });
});
