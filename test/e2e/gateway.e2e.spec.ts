import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SpanKind } from '@opentelemetry/api';
import OpenAI from 'openai';
import { startMockOpenAIProvider, PROVIDER_ANSWER, PROVIDER_TOOL_CALL, PROVIDER_USAGE, type MockOpenAIProvider } from '../support/mock-openai-provider';
import { otelPipeline } from '../support/send-spans';
import { holdSqliteWriteLock } from '../support/sqlite-lock-holder';
import { eventually, getJson, repoRoot, startServer, type RunningServer } from '../support/temps-server';

const run = promisify(execFile);
const PROVIDER_KEY = 'sk-env-provider-key-0123456789';
const PROJECT_PROVIDER_KEY = 'sk-project-secret-key-9876543210';
const MISTRAL_PROJECT_KEY = 'mistral-project-key-5647382910';
// gpt-4o at the shipped prices: input 2.5, cached input 1.25, output 10 USD per million tokens.
const GPT_4O_COST = ((20 - 5) * 2.5 + 5 * 1.25 + 7 * 10) / 1e6;

const weatherTool = { type: 'function' as const, function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };

/** The AI Gateway through the real `openai` Node package, a local mock OpenAI-compatible provider standing in for the real one. */
describe('AI Gateway /api/ai/v1 (real openai Node client; provider: local mock OpenAI server)', () => {
  let server: RunningServer;
  let provider: MockOpenAIProvider;
  let client: OpenAI;
  // xAI is OpenAI-compatible too: the same mock stands in for it.
  const providerEnv = () => ({ TEMPS_AI_OPENAI_API_KEY: PROVIDER_KEY, TEMPS_AI_OPENAI_BASE_URL: provider.baseUrl, TEMPS_AI_XAI_API_KEY: 'xai-env-key-0123456789', TEMPS_AI_XAI_BASE_URL: provider.baseUrl });
  const cli = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, [join(repoRoot, 'bin/temps.js'), ...args], { env: { ...process.env, ...providerEnv(), TEMPS_DATA_DIR: server.dataDir, ...env } });

  /**
   * The server re-reads provider settings written by another process (the CLI) at most every 500 ms
   * (provider-credentials' REFRESH_MS): a call sooner than that after the CLI may still see the old one.
   */
  const settingSeen = () => new Promise((resolve) => setTimeout(resolve, 600));

  beforeAll(async () => {
    provider = await startMockOpenAIProvider();
    server = await startServer({ env: { ...providerEnv(), TEMPS_AI_TIMEOUT_MS: '1500' } });
    client = new OpenAI({ apiKey: server.apiKey, baseURL: `${server.url}/api/ai/v1`, maxRetries: 0 });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await provider?.close();
  });

  const lastUpstream = () => provider.requests[provider.requests.length - 1]!;
  // Keys, projects and provider keys changed by the CLI take effect within a second (the server re-reads the
  // access and provider streams at most every 500 ms): wait that long after a change before asserting on it.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 1100));
  const traceOf = (traceId: string) =>
    eventually(async () => {
      const { status, body } = await getJson(server, `/api/projects/1/ai/traces/${traceId}`);
      return status === 200 ? body : undefined;
    }, 15_000, `trace ${traceId}`);

  it('answers a chat completion (the project from the key, no X-Temps-Project-Id) and passes it through with the provider key', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello!' }], temperature: 0.2 }).withResponse();
    expect(data.choices[0]!.message.content).toBe(PROVIDER_ANSWER);
    expect(data.model).toBe('gpt-4o');
    expect(data.usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 7 });
    const up = lastUpstream();
    expect(up.path).toBe('/v1/chat/completions');
    expect(up.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`); // the provider's key, never the tk_ key
    expect(up.body).toMatchObject({ model: 'gpt-4o', temperature: 0.2 });
    expect(up.headers.traceparent).toMatch(new RegExp(`^00-${response.headers.get('x-temps-trace-id')}-[0-9a-f]{16}-01$`));

    // Traced after answering: in AI Activity with provider, model, tokens and cost.
    const detail = await traceOf(response.headers.get('x-temps-trace-id')!);
    expect(detail.trace).toMatchObject({ providers: ['openai'], models: ['gpt-4o'], inputTokens: 20, outputTokens: 7, gateway: true, serviceName: 'temps-ai-gateway' });
    expect(detail.trace.cost).toBeCloseTo(GPT_4O_COST, 12);
    const span = detail.spans[0];
    expect(span).toMatchObject({ operation: 'chat', provider: 'openai', requestModel: 'gpt-4o', responseModel: 'gpt-4o', cacheReadInputTokens: 5, finishReasons: ['stop'], temperature: 0.2 });
    expect(span.responseId).toBe(data.id);
    expect(span.attributes).toMatchObject({ 'temps.gateway': true, 'server.address': '127.0.0.1' });
    expect(span.inputMessages).toBeNull(); // content capture is off by default
  });

  it('streams as server-sent events; the usage chunk only when the client asks, though upstream is always asked', async () => {
    const { data: plain, response } = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], stream: true }).withResponse();
    let text = '';
    const usages: unknown[] = [];
    for await (const chunk of plain) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usages.push(chunk.usage);
    }
    expect(text).toBe(PROVIDER_ANSWER);
    expect(usages).toEqual([]);
    expect(lastUpstream().body.stream_options).toEqual({ include_usage: true });
    // the usage the client did not ask for is on the span: the streamed call is counted like any other
    const streamed = (await traceOf(response.headers.get('x-temps-trace-id')!)).spans[0];
    expect(streamed).toMatchObject({ inputTokens: 20, outputTokens: 7, finishReasons: ['stop'], attributes: { 'temps.gateway.stream': true } });
    expect(streamed.attributes['temps.gateway.time_to_first_token_ms']).toBeGreaterThan(0);

    const withUsage = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } });
    let last: OpenAI.ChatCompletionChunk | undefined;
    for await (const chunk of withUsage) last = chunk;
    expect(last!.choices).toEqual([]);
    expect(last!.usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 7 });
  });

  it('routes grok-* to xAI and an explicit provider/model as named; an unconfigured provider is a clear error', async () => {
    const { response } = await client.chat.completions.create({ model: 'grok-4', messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
    expect(lastUpstream().headers.authorization).toBe('Bearer xai-env-key-0123456789');
    const detail = await traceOf(response.headers.get('x-temps-trace-id')!);
    expect(detail.trace).toMatchObject({ providers: ['x_ai'], models: ['grok-4'], inputTokens: 20, outputTokens: 7 });

    await client.chat.completions.create({ model: 'xai/some-model', messages: [{ role: 'user', content: 'Hi' }] });
    expect(lastUpstream().body.model).toBe('some-model');

    const mistral = await client.chat.completions.create({ model: 'mistral-large-latest', messages: [{ role: 'user', content: 'Hi' }] }).catch((e) => e);
    expect(mistral.status).toBe(400);
    expect(mistral.error).toMatchObject({ code: 'provider_not_configured', message: expect.stringMatching(/temps ai-provider set mistral .*TEMPS_AI_MISTRAL_API_KEY/) });
    // Anthropic is translated (not passed through) but configured the same way: none is here
    const claude = await client.chat.completions.create({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Hi' }] }).catch((e) => e);
    expect(claude.status).toBe(400);
    expect(claude.error).toMatchObject({ code: 'provider_not_configured', message: expect.stringMatching(/temps ai-provider set anthropic .*TEMPS_AI_ANTHROPIC_API_KEY/) });
  });

  it('puts prompts and answers on its span only when the project turns content capture on', async () => {
    await cli(['ai-provider', 'capture', 'on', '--project', '1']);
    await settingSeen();
    const on = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Weather in Paris?' }], tools: [weatherTool] }, { headers: { 'X-Temps-Project-Id': '1' } }).withResponse();
    const captured = (await traceOf(on.response.headers.get('x-temps-trace-id')!)).spans[0];
    expect(captured.inputMessages.map((m: any) => m.role)).toEqual(['system', 'user']);
    expect(JSON.stringify(captured.inputMessages)).toContain('Weather in Paris?');
    expect(JSON.stringify(captured.outputMessages)).toContain('get_weather');
    await cli(['ai-provider', 'capture', 'off', '--project', '1']);
    await settingSeen();
    const off = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Secret question' }] }, { headers: { 'X-Temps-Project-Id': '1' } }).withResponse();
    const detail = await traceOf(off.response.headers.get('x-temps-trace-id')!);
    expect(JSON.stringify(detail)).not.toContain('Secret question');
  });

  it('streams the raw wire format: data lines and a final data: [DONE]', async () => {
    const res = await fetch(`${server.url}/api/ai/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const body = await res.text();
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(body).not.toContain('"usage"');
  });

  it('passes tools, tool calls and tool results, streaming and not; response_format and image parts go through', async () => {
    const first = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: [weatherTool] });
    const call = first.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ id: PROVIDER_TOOL_CALL.id, function: { name: 'get_weather', arguments: PROVIDER_TOOL_CALL.arguments } });
    expect(lastUpstream().body.tools).toEqual([weatherTool]);

    const streamed = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: [weatherTool], stream: true });
    let args = '';
    let finish: string | null = null;
    for await (const chunk of streamed) {
      args += chunk.choices[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(args).toBe(PROVIDER_TOOL_CALL.arguments);
    expect(finish).toBe('tool_calls');

    const second = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
        first.choices[0]!.message,
        { role: 'tool', tool_call_id: call.id, content: '18°C, sunny' },
      ],
      tools: [weatherTool],
      response_format: { type: 'json_object' },
    });
    expect(second.choices[0]!.message.content).toBe('{"greeting":"hello"}');
    const sent = lastUpstream().body;
    expect(sent.response_format).toEqual({ type: 'json_object' });
    expect(sent.messages[0].content[1]).toEqual({ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } });
    expect(sent.messages[2]).toEqual({ role: 'tool', tool_call_id: call.id, content: '18°C, sunny' });
  });

  it('answers embeddings and lists the models of the configured providers', async () => {
    const { data: emb, response } = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] }).withResponse();
    expect(emb.data).toHaveLength(2);
    expect(emb.usage.prompt_tokens).toBe(6);
    const embedding = (await traceOf(response.headers.get('x-temps-trace-id')!)).spans[0];
    expect(embedding).toMatchObject({ name: 'embeddings text-embedding-3-small', operation: 'embeddings', provider: 'openai', requestModel: 'text-embedding-3-small', inputTokens: 6 });
    expect(embedding.attributes['gen_ai.embeddings.dimension.count']).toBe(4);
    const models = [];
    for await (const m of client.models.list()) models.push(m.id);
    await client.models.list(); // served from the gateway's cache: one upstream list per provider a minute
    expect(provider.requests.filter((r) => r.path === '/v1/models')).toHaveLength(2);
    // names that route back to the provider as they are; the others with the provider/ prefix
    expect(models).toEqual(['gpt-4o', 'openai/whisper-1', 'text-embedding-3-small', 'xai/gpt-4o', 'xai/text-embedding-3-small', 'xai/whisper-1']);
  });

  it("gives the provider's errors in OpenAI's shape with its status, 429 keeping Retry-After", async () => {
    const err = await client.chat.completions.create({ model: 'gpt-fail-429', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.status).toBe(429);
    expect(err.headers.get('retry-after')).toBe('7');
    expect(err.error).toMatchObject({ message: 'mock provider says 429', type: 'rate_limit_exceeded', code: 'rate_limit_exceeded' });

    const streamed = await client.chat.completions.create({ model: 'gpt-fail-500', messages: [{ role: 'user', content: 'x' }], stream: true }).catch((e) => e);
    expect(streamed).toBeInstanceOf(OpenAI.InternalServerError);
    expect(streamed.status).toBe(500);

    const bad = await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(bad.status).toBe(400);
    expect(bad.error.message).toMatch(/provider\/model/);
  });

  it('cancels the upstream call when the client disconnects and when the timeout passes (504)', async () => {
    const before = provider.cancelled;
    const ac = new AbortController();
    const pending = client.chat.completions.create({ model: 'gpt-slow', messages: [{ role: 'user', content: 'x' }] }, { signal: ac.signal }).catch((e) => e);
    await eventually(async () => (provider.requests.some((r) => r.body.model === 'gpt-slow') ? true : undefined), 5000, 'the slow call upstream');
    ac.abort();
    expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
    await eventually(async () => (provider.cancelled === before + 1 ? true : undefined), 5000, 'the upstream call cancelled after the client left');

    const started = Date.now();
    const timedOut = await client.chat.completions.create({ model: 'gpt-slow', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(timedOut.status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    await eventually(async () => (provider.cancelled === before + 2 ? true : undefined), 5000, 'the upstream call cancelled at the timeout');

    // A stream that stalls after its first chunk: the timeout ends it with an error event, and upstream is cancelled.
    const stalled = await client.chat.completions.create({ model: 'gpt-stall', messages: [{ role: 'user', content: 'x' }], stream: true });
    let text = '';
    const streamErr = await (async () => {
      for await (const chunk of stalled) text += chunk.choices[0]?.delta?.content ?? '';
    })().catch((e) => e);
    expect(text).toBe('Hel');
    expect(streamErr).toBeInstanceOf(OpenAI.APIError);
    expect(streamErr.message).toMatch(/did not answer within 1500 ms/);
    await eventually(async () => (provider.cancelled === before + 3 ? true : undefined), 5000, 'the stalled stream cancelled upstream');

    // A client that leaves mid-stream: upstream is cancelled at once, not at the timeout.
    const leaving = new AbortController();
    const left = await client.chat.completions.create({ model: 'gpt-stall', messages: [{ role: 'user', content: 'x' }], stream: true }, { signal: leaving.signal });
    const leftAt = Date.now();
    await (async () => {
      for await (const _chunk of left) leaving.abort();
    })().catch(() => undefined);
    await eventually(async () => (provider.cancelled === before + 4 ? true : undefined), 5000, 'the stream cancelled upstream when its client left');
    expect(Date.now() - leftAt).toBeLessThan(1400);
  });

  it('refuses a missing, viewer or revoked key, and asks for the project when a key has several', async () => {
    const call = (key: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/api/ai/v1/chat/completions`, {
        method: 'POST',
        headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    const upstreamBefore = provider.requests.length;
    expect(await call('')).toMatchObject({ status: 401, body: { error: { type: 'authentication_error' } } });

    const viewer = (await cli(['api-key', '--name', 'viewer', '--role', 'viewer'])).stdout.trim();
    const refused = await call(viewer);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/viewer may not call the AI gateway/);

    const member = await cli(['api-key', '--name', 'member', '--role', 'member']);
    const memberKey = member.stdout.trim();
    expect((await call(memberKey)).status).toBe(200);
    const keyId = /created API key (\S+)/.exec(member.stderr)![1]!;
    await cli(['api-key', 'revoke', keyId]);
    await settle();
    expect(await call(memberKey)).toMatchObject({ status: 401, body: { error: { message: 'unknown or revoked API key' } } });
    expect(provider.requests.length).toBe(upstreamBefore + 1); // only the member's call went upstream

    const deployment = (await cli(['deployment-token', '--project', '1', '--environment', 'prod', '--deployment', 'd1'])).stdout.trim();
    expect(await call(deployment)).toMatchObject({ status: 403, body: { error: { message: expect.stringMatching(/API key \(tk_\)/) } } });

    await cli(['project', 'create', '--name', 'second', '--id', '2']);
    await settle();
    expect(await call(server.apiKey)).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/X-Temps-Project-Id/) } } });
    expect((await call(server.apiKey, { 'x-temps-project-id': '1' })).status).toBe(200);
  });

  it('uses the key a project set with "temps ai-provider set" (stored encrypted), never printing, returning or logging a key', async () => {
    // the key from stdin (`--api-key -`), as the README suggests
    const setting = cli(['ai-provider', 'set', 'openai', '--api-key', '-', '--base-url', provider.baseUrl, '--project', '2']);
    setting.child.stdin!.end(`${PROJECT_PROVIDER_KEY}\n`);
    await setting;
    await settle();
    const list = (await cli(['ai-provider', 'list'])).stdout;
    expect(list).toMatch(/openai\s+project 2/);
    expect(list).toMatch(/openai\s+every project \(environment\)/);

    const res = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'X-Temps-Project-Id': '2' } }).withResponse();
    expect(lastUpstream().headers.authorization).toBe(`Bearer ${PROJECT_PROVIDER_KEY}`);
    await cli(['ai-provider', 'remove', 'openai', '--project', '2']);
    await settle();
    await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'X-Temps-Project-Id': '2' } });
    expect(lastUpstream().headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`); // back to the environment's key

    // A key sealed with another secrets key than the server's: a clear 500, never the key.
    await cli(['ai-provider', 'set', 'openai', '--api-key', PROJECT_PROVIDER_KEY, '--project', '2'], { TEMPS_SECRETS_KEY: 'another secrets passphrase' });
    await settle();
    const unreadable = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'X-Temps-Project-Id': '2' } }).catch((e) => e);
    expect(unreadable.status).toBe(500);
    expect(unreadable.error).toMatchObject({ code: 'provider_key_unreadable', message: expect.stringMatching(/another secrets key/) });
    expect(JSON.stringify(unreadable.error)).not.toContain(PROJECT_PROVIDER_KEY);
    await cli(['ai-provider', 'remove', 'openai', '--project', '2']);

    // A provider set on project 2 only (no environment key): its models are listed for project 2, not for project 1.
    await cli(['ai-provider', 'set', 'mistral', '--api-key', MISTRAL_PROJECT_KEY, '--base-url', provider.baseUrl, '--project', '2']);
    await settle();
    const listModels = async (headers: Record<string, string>) => {
      const ids: string[] = [];
      for await (const m of client.models.list({ headers })) ids.push(m.id);
      return ids;
    };
    expect(await listModels({ 'X-Temps-Project-Id': '2' })).toEqual(expect.arrayContaining(['gpt-4o', 'mistral/gpt-4o', 'mistral/text-embedding-3-small']));
    expect((await listModels({ 'X-Temps-Project-Id': '1' })).filter((id) => id.startsWith('mistral/'))).toEqual([]);
    expect(provider.requests.filter((r) => r.path === '/v1/models' && r.headers.authorization === `Bearer ${MISTRAL_PROJECT_KEY}`)).toHaveLength(1);
    await cli(['ai-provider', 'remove', 'mistral', '--project', '2']);

    const everything = [list, server.output(), JSON.stringify(res.data), readFileSync(join(server.dataDir, 'events.db')).toString('latin1')].join('\n');
    for (const secret of [PROJECT_PROVIDER_KEY, PROVIDER_KEY, MISTRAL_PROJECT_KEY]) expect(everything).not.toContain(secret);
    expect(server.output()).not.toContain(server.apiKey);
  });

  it("makes its span a child of the client's span (traceparent): one trace, tokens counted once", async () => {
    const { flush, tracer } = otelPipeline(`${server.url}/api/otel/v1/traces`, { Authorization: `Bearer ${server.apiKey}`, 'X-Temps-Project-Id': '1' });
    const usageBefore = (await getJson(server, '/api/projects/1/ai/usage')).body;
    // The client's own instrumentation span around the call, as openai instrumentations make it.
    const span = tracer.startSpan('chat gpt-4o', { kind: SpanKind.CLIENT, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o' } });
    const ctx = span.spanContext();
    const out = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello!' }] }, { headers: { traceparent: `00-${ctx.traceId}-${ctx.spanId}-01`, 'X-Temps-Project-Id': '1' } });
    span.setAttributes({ 'gen_ai.response.id': out.id, 'gen_ai.response.model': out.model, 'gen_ai.usage.input_tokens': 20, 'gen_ai.usage.output_tokens': 7 });
    span.end();
    await flush();

    const detail = await eventually(async () => {
      const { body } = await getJson(server, `/api/projects/1/ai/traces/${ctx.traceId}`);
      return body?.spans?.length === 2 ? body : undefined;
    }, 15_000, 'the client span and the gateway span in one trace');
    const gatewaySpan = detail.spans.find((s: any) => s.attributes['temps.gateway'] === true);
    expect(gatewaySpan.parentSpanId).toBe(ctx.spanId);
    expect(detail.trace).toMatchObject({ inputTokens: 20, outputTokens: 7, gateway: true, inProgress: false });

    const usage = await eventually(async () => {
      const { body } = await getJson(server, '/api/projects/1/ai/usage');
      return JSON.stringify(body) !== JSON.stringify(usageBefore) ? body : undefined;
    }, 15_000, 'usage to change');
    expect(usage.totals.inputTokens - usageBefore.totals.inputTokens).toBe(PROVIDER_USAGE.prompt_tokens);
    expect(usage.totals.outputTokens - usageBefore.totals.outputTokens).toBe(PROVIDER_USAGE.completion_tokens);
    expect(usage.totals.calls - usageBefore.totals.calls).toBe(1); // one model call, not two
    expect(usage.totals.cost - usageBefore.totals.cost).toBeCloseTo(GPT_4O_COST, 12);
  });

  it('counts its calls by provider and outcome in /metrics (temps_gateway_calls_total)', async () => {
    const scrape = async () => {
      const res = await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${server.apiKey}` } });
      expect(res.status).toBe(200);
      const text = await res.text();
      const count = (outcome: string) => Number(new RegExp(`^temps_gateway_calls_total\\{provider="openai",outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      return { ok: count('ok') };
    };
    const before = await scrape();
    const project = { headers: { 'X-Temps-Project-Id': '1' } }; // an earlier test made a second project
    await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'one' }] }, project);
    await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'two' }] }, project);
    expect((await scrape()).ok - before.ok).toBe(2);
  });

  it("answers without waiting for its span's append: the call returns while another process holds the event store's write lock", async () => {
    // As store-unavailable-retry does for OTLP: a backup job or a stuck CLI holds SQLite's write lock for 3 s.
    const holder = await holdSqliteWriteLock(join(server.dataDir, 'events.db'), 3000);
    const released = holder.released;
    const started = Date.now();
    const { data, response } = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'while locked' }] }, { headers: { 'X-Temps-Project-Id': '1' } }).withResponse();
    const answeredMs = Date.now() - started;
    const lockHeld = holder.holding();
    expect(data.choices[0]!.message.content).toBe(PROVIDER_ANSWER);
    expect({ lockHeld, answeredInUnder2s: answeredMs < 2000 }).toEqual({ lockHeld: true, answeredInUnder2s: true });
    await released;
    // the span was queued, not lost: it is appended once the lock is gone
    const detail = await traceOf(response.headers.get('x-temps-trace-id')!);
    expect(detail.spans[0]).toMatchObject({ responseId: data.id, inputTokens: PROVIDER_USAGE.prompt_tokens });
  });
});
