import { gzipSync } from 'node:zlib';
import { io, type Socket } from 'socket.io-client';
import { sendAgentTrace } from '../support/send-spans';
import { eventually, getJson, startServer, type RunningServer } from '../support/temps-server';

/** The walking skeleton end to end: real OTel exporter -> `temps serve` -> query API + live socket. */
describe('temps serve: the seed agent workflow through the real OTel exporter', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const listTraces = (query = '') => getJson(server, `/api/projects/1/ai/traces${query}`);
  const waitForTrace = (traceId: string, spanCount: number) =>
    eventually(async () => {
      const { body } = await listTraces();
      return body.items?.find((t: any) => t.traceId === traceId && t.spanCount === spanCount);
    }, 15_000, `trace ${traceId} with ${spanCount} spans`);

  it('returns the agent trace tree with parents, models and token totals counted once', async () => {
    const { traceId, rootSpanId } = await sendAgentTrace(server.url, server.apiKey, '1');
    const item = await waitForTrace(traceId, 4);
    expect(item).toMatchObject({
      traceId,
      rootSpanName: 'invoke_agent research-assistant',
      serviceName: 'my-ai-app',
      status: 'ok',
      spanCount: 4,
      providers: ['openai'],
      models: ['gpt-4o-2024-08-06'],
      // 150 + 410 and 32 + 96: the agent span repeats these and is not added again.
      inputTokens: 560,
      outputTokens: 128,
      inProgress: false,
    });
    expect(new Date(item.startTime).toISOString()).toBe(item.startTime);
    expect(item.durationMs).toBeGreaterThanOrEqual(0);

    const { status, body } = await getJson(server, `/api/projects/1/ai/traces/${traceId}`);
    expect(status).toBe(200);
    expect(body.trace.traceId).toBe(traceId);
    const spans = body.spans as any[];
    expect(spans).toHaveLength(4);
    const root = spans.find((s) => s.spanId === rootSpanId);
    expect(root).toMatchObject({ parentSpanId: null, kind: 'agent', operation: 'invoke_agent', agentName: 'research-assistant' });
    const children = spans.filter((s) => s.parentSpanId === rootSpanId);
    expect(children.map((s) => s.name).sort()).toEqual(['chat gpt-4o', 'chat gpt-4o', 'execute_tool search_web']);

    const [firstChat, secondChat] = spans.filter((s) => s.operation === 'chat');
    expect(firstChat).toMatchObject({
      kind: 'generation',
      provider: 'openai',
      requestModel: 'gpt-4o',
      responseModel: 'gpt-4o-2024-08-06',
      inputTokens: 150,
      outputTokens: 32,
      finishReasons: ['tool_call'],
      status: 'ok',
    });
    // The seed's plain {role, content} is converted to the semconv parts shape.
    expect(firstChat.inputMessages).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'What is new in quantum computing?' }] }]);
    expect(firstChat.outputMessages[0].parts[0]).toMatchObject({ type: 'tool_call', name: 'search_web', arguments: { query: 'quantum computing news' } });
    // Deprecated prompt/completion token names and gen_ai.provider.name are understood.
    expect(secondChat).toMatchObject({ inputTokens: 410, outputTokens: 96, provider: 'openai', finishReasons: ['stop'] });
    expect(secondChat.outputMessages).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Error-corrected qubits reached 99.9% fidelity.' }] }]);

    const tool = spans.find((s) => s.operation === 'execute_tool');
    expect(tool).toMatchObject({ kind: 'tool', toolName: 'search_web', toolCallArguments: { query: 'quantum computing news' } });
    expect(tool.toolCallResult).toEqual({ results: ['Error-corrected qubits reach 99.9%'] });
    expect(tool.attributes['gen_ai.tool.name']).toBe('search_web');
  });

  it('accepts the same export at /api/v1/traces (OTEL_EXPORTER_OTLP_ENDPOINT=.../api) and /v1/traces', async () => {
    const a = await sendAgentTrace(server.url, server.apiKey, '1', { path: '/api/v1/traces', agentName: 'env-configured' });
    const b = await sendAgentTrace(server.url, server.apiKey, '1', { path: '/v1/traces', agentName: 'bare-path' });
    await waitForTrace(a.traceId, 4);
    await waitForTrace(b.traceId, 4);
  });

  it('filters by provider, model and status, and pages with a cursor, newest first', async () => {
    await sendAgentTrace(server.url, server.apiKey, '1', { model: 'gpt-4o-mini', agentName: 'mini' });
    const mini = await eventually(async () => {
      const { body } = await listTraces('?model=gpt-4o-mini-2024-08-06');
      return body.items.length === 1 ? body.items[0] : undefined;
    });
    expect(mini.rootSpanName).toBe('invoke_agent mini');
    expect((await listTraces('?provider=anthropic')).body.items).toEqual([]);
    expect((await listTraces('?status=error')).body.items).toEqual([]);

    const all = (await listTraces('?limit=500')).body.items as any[];
    expect(all.length).toBeGreaterThanOrEqual(4);
    const starts = all.map((t) => t.startTime);
    expect([...starts].sort().reverse()).toEqual(starts);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: any } = await listTraces(`?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((t: any) => t.traceId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((t) => t.traceId));
    expect((await listTraces('?limit=0')).status).toBe(400);
    expect((await listTraces('?cursor=nonsense')).status).toBe(400);
  });

  it('pushes trace.updated to a socket.io client of the project, and refuses a bad token', async () => {
    const refused = await new Promise<string>((resolve) => {
      const bad = io(server.url, { auth: { token: 'tk_wrong_wrong_wrong_wrong', projectId: '1' }, transports: ['websocket'], reconnection: false });
      bad.on('connect', () => resolve('connected'));
      bad.on('connect_error', (err) => (bad.close(), resolve(err.message)));
    });
    expect(refused).toMatch(/unauthorized/);

    const socket: Socket = io(server.url, { auth: { token: server.apiKey, projectId: '1' }, transports: ['websocket'], reconnection: false });
    try {
      await new Promise<void>((resolve, reject) => (socket.once('connect', resolve), socket.once('connect_error', reject)));
      const updates: any[] = [];
      socket.on('trace.updated', (item) => updates.push(item));
      const { traceId } = await sendAgentTrace(server.url, server.apiKey, '1', { agentName: 'live' });
      const last = await eventually(async () => updates.filter((u) => u.traceId === traceId && u.spanCount === 4).pop(), 15_000, 'trace.updated');
      expect(last).toMatchObject({ rootSpanName: 'invoke_agent live', inputTokens: 560, outputTokens: 128, status: 'ok' });
      expect(last.projectId).toBeUndefined();
    } finally {
      socket.close();
    }
  });

  describe('bad input gets a clear error and costs nothing already accepted', () => {
    const post = (body: Buffer | string, headers: Record<string, string>) =>
      fetch(`${server.url}/api/otel/v1/traces`, { method: 'POST', body, headers });
    const auth = () => ({ Authorization: `Bearer ${server.apiKey}`, 'X-Temps-Project-Id': '1' });

    it('answers 415, 400, 401 and 403 as the seed and OTLP say', async () => {
      const before = (await listTraces('?limit=500')).body.items.length;

      let res = await post('{}', { ...auth(), 'Content-Type': 'text/plain' });
      expect(res.status).toBe(415);
      res = await post(Buffer.from([0xff, 0xff, 0xff, 0x0f, 0x01]), { ...auth(), 'Content-Type': 'application/x-protobuf' });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/x-protobuf');
      expect(Buffer.from(await res.arrayBuffer()).toString()).toMatch(/decode/);
      res = await post(Buffer.from('not gzip'), { ...auth(), 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' });
      expect(res.status).toBe(400);
      res = await post(Buffer.alloc(0), { 'Content-Type': 'application/x-protobuf' });
      expect(res.status).toBe(401);
      res = await post(Buffer.alloc(0), { Authorization: 'Bearer tk_unknown_unknown_unknown', 'X-Temps-Project-Id': '1', 'Content-Type': 'application/x-protobuf' });
      expect(res.status).toBe(401);
      res = await post(Buffer.alloc(0), { Authorization: `Bearer ${server.apiKey}`, 'Content-Type': 'application/x-protobuf' });
      expect(res.status).toBe(400);
      expect(Buffer.from(await res.arrayBuffer()).toString()).toMatch(/X-Temps-Project-Id/);
      res = await post(Buffer.alloc(0), { Authorization: `Bearer ${server.apiKey}`, 'X-Temps-Project-Id': '99', 'Content-Type': 'application/x-protobuf' });
      expect(res.status).toBe(403);

      // An empty request is a valid (empty) export; gzip is accepted.
      res = await post(gzipSync(Buffer.alloc(0)), { ...auth(), 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' });
      expect(res.status).toBe(200);

      const after = (await listTraces('?limit=500')).body.items.length;
      expect(after).toBe(before);
    });

    it('scopes queries by project: 401 without a key, 403 for another project, 404 for an unknown trace', async () => {
      expect((await getJson(server, '/api/projects/1/ai/traces', 'tk_nope_nope_nope_nope_nope')).status).toBe(401);
      expect((await getJson(server, '/api/projects/2/ai/traces')).status).toBe(403);
      expect((await getJson(server, `/api/projects/1/ai/traces/${'ab'.repeat(16)}`)).status).toBe(404);
    });
  });
});
