import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MOCK_ANTHROPIC_GREETING, startMockAnthropicServer, type MockAnthropicServer } from '../support/mock-anthropic-server';
import { MOCK_GEMINI_GREETING, startMockGeminiServer, type MockGeminiServer } from '../support/mock-gemini-server';
import { startMockOpenAIProvider, PROVIDER_ANSWER, PROVIDER_TOOL_CALL, PROVIDER_USAGE, type MockOpenAIProvider } from '../support/mock-openai-provider';
import { ensurePythonVenv, pythonSkipReason } from '../support/python-venv';
import { PY_OTEL_PACKAGES } from '../support/record-scenarios';
import { eventually, getJson, repoRoot, startServer, type RunningServer } from '../support/temps-server';

const run = promisify(execFile);
/** The Python openai package, pinned like the recorded fixtures' (test/support/record-scenarios.ts). */
const PACKAGES = ['openai==3.57.0'];
const skipReason = pythonSkipReason(PACKAGES) ?? pythonSkipReason(PY_OTEL_PACKAGES);

if (skipReason) {
  describe('AI Gateway through the Python openai client', () => {
    console.warn(`gateway Python e2e skipped: ${skipReason}`);
    it.skip(`skipped: ${skipReason}`, () => undefined);
  });
} else {
  describe('AI Gateway through the real Python openai client (the seed snippet; providers: local mock OpenAI, Anthropic and Gemini servers)', () => {
    let python: string;
    let instrumented: string;
    let server: RunningServer;
    let provider: MockOpenAIProvider;
    let anthropic: MockAnthropicServer;
    let gemini: MockGeminiServer;

    beforeAll(async () => {
      python = await ensurePythonVenv(PACKAGES);
      instrumented = await ensurePythonVenv(PY_OTEL_PACKAGES);
      provider = await startMockOpenAIProvider();
      anthropic = await startMockAnthropicServer();
      gemini = await startMockGeminiServer();
      server = await startServer({
        env: {
          TEMPS_AI_OPENAI_API_KEY: 'sk-python-test-provider-key',
          TEMPS_AI_OPENAI_BASE_URL: provider.baseUrl,
          TEMPS_AI_ANTHROPIC_API_KEY: anthropic.apiKey,
          TEMPS_AI_ANTHROPIC_BASE_URL: anthropic.url,
          TEMPS_AI_GOOGLE_API_KEY: gemini.apiKey,
          TEMPS_AI_GOOGLE_BASE_URL: gemini.url,
        },
      });
    }, 12 * 60_000);
    afterAll(async () => {
      await server?.stop();
      await provider?.close();
      await anthropic?.close();
      await gemini?.close();
    });

    it('answers non-streaming, streaming (with usage when asked) and tool calls, and raises the provider 429 with Retry-After', async () => {
      const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OPENAI_')));
      const { stdout } = await run(python, [join(repoRoot, 'test/fixtures/python/gateway_client.py')], {
        env: { ...base, TEMPS_URL: server.url, TEMPS_API_KEY: server.apiKey, PYTHONDONTWRITEBYTECODE: '1' },
        timeout: 60_000,
      });
      const out = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(out).toEqual({
        text: PROVIDER_ANSWER,
        usage: [20, 7],
        streamed: PROVIDER_ANSWER,
        stream_usage: [20, 7],
        tool_call: [PROVIDER_TOOL_CALL.name, PROVIDER_TOOL_CALL.arguments],
        error: [429, '7', 'mock provider says 429'],
      });
      expect(provider.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(4);
    });

    it("the seed's openai-v2 instrumentation through the gateway: one trace, the gateway span under the client's, tokens counted once", async () => {
      const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OPENAI_') && !k.startsWith('OTEL_')));
      const usageBefore = (await getJson(server, '/api/projects/1/ai/usage')).body;
      const { stdout } = await run(instrumented, [join(repoRoot, 'test/fixtures/python/gateway_openai_v2.py')], {
        env: { ...base, TEMPS_URL: server.url, TEMPS_API_KEY: server.apiKey, PYTHONDONTWRITEBYTECODE: '1' },
        timeout: 60_000,
      });
      const out = JSON.parse(stdout.trim().split('\n').pop()!);
      const detail = await eventually(async () => {
        const { body } = await getJson(server, `/api/projects/1/ai/traces/${out.trace_id}`);
        return body?.spans?.length === 2 ? body : undefined;
      }, 20_000, "the client's span and the gateway's in one trace");
      const client = detail.spans.find((s: any) => s.spanId === out.span_id);
      const gateway = detail.spans.find((s: any) => s.attributes['temps.gateway'] === true);
      expect(client).toMatchObject({ operation: 'chat', provider: 'openai', responseId: out.id, inputTokens: 20, outputTokens: 7, serviceName: 'my-ai-app' });
      expect(gateway).toMatchObject({ parentSpanId: out.span_id, responseId: out.id, inputTokens: 20, outputTokens: 7 });
      expect(detail.trace).toMatchObject({ inputTokens: 20, outputTokens: 7, gateway: true });
      const usage = await eventually(async () => {
        const { body } = await getJson(server, '/api/projects/1/ai/usage');
        return body.totals.inputTokens !== usageBefore.totals.inputTokens ? body : undefined;
      }, 20_000, 'usage to change');
      expect(usage.totals.inputTokens - usageBefore.totals.inputTokens).toBe(20);
      expect(usage.totals.outputTokens - usageBefore.totals.outputTokens).toBe(7);
    });

    it("the seed's openai-v2 instrumentation alone (no trace context sent): two traces, one response, tokens and calls counted once", async () => {
      const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OPENAI_') && !k.startsWith('OTEL_')));
      const usageBefore = (await getJson(server, '/api/projects/1/ai/usage')).body;
      const { stdout } = await run(instrumented, [join(repoRoot, 'test/fixtures/python/gateway_openai_v2.py')], {
        env: { ...base, TEMPS_URL: server.url, TEMPS_API_KEY: server.apiKey, TEMPS_PROPAGATE: '0', PYTHONDONTWRITEBYTECODE: '1' },
        timeout: 60_000,
      });
      const out = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(out.trace_id).toBeUndefined(); // nothing was propagated
      // The client's span and the gateway's, each in a trace of its own, found by the response id both carry.
      const spans = await eventually(async () => {
        const { body } = await getJson(server, '/api/projects/1/ai/traces?limit=100');
        const found: any[] = [];
        for (const item of body.items) {
          const detail = (await getJson(server, `/api/projects/1/ai/traces/${item.traceId}`)).body;
          for (const span of detail?.spans ?? []) if (span.responseId === out.id) found.push({ ...span, traceId: item.traceId });
        }
        return found.length === 2 ? found : undefined;
      }, 20_000, "the client's span and the gateway's");
      const gateway = spans.find((s: any) => s.attributes['temps.gateway'] === true);
      const client = spans.find((s: any) => s.attributes['temps.gateway'] !== true);
      expect(client).toMatchObject({ serviceName: 'my-ai-app', inputTokens: 20, outputTokens: 7 });
      expect(gateway).toMatchObject({ parentSpanId: null, inputTokens: 20, outputTokens: 7 });
      expect(gateway.traceId).not.toBe(client.traceId);
      const usage = await eventually(async () => {
        const { body } = await getJson(server, '/api/projects/1/ai/usage');
        return body.totals.calls - usageBefore.totals.calls >= 1 ? body : undefined;
      }, 20_000, 'usage to change');
      await new Promise((resolve) => setTimeout(resolve, 1000)); // the second span's projection, had it counted again
      const settled = (await getJson(server, '/api/projects/1/ai/usage')).body;
      expect(settled.totals).toEqual(usage.totals);
      expect([settled.totals.calls - usageBefore.totals.calls, settled.totals.inputTokens - usageBefore.totals.inputTokens, settled.totals.outputTokens - usageBefore.totals.outputTokens]).toEqual([1, 20, 7]);
    });

    it("the seed's snippet as the README gives it: claude-haiku-4-5, gpt-4o and gemini-2.5-flash, each answered and in AI Activity", async () => {
      const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OPENAI_')));
      const { stdout } = await run(python, [join(repoRoot, 'test/fixtures/python/gateway_seed_snippet.py')], {
        env: { ...base, TEMPS_URL: server.url, TEMPS_API_KEY: server.apiKey, PYTHONDONTWRITEBYTECODE: '1' },
        timeout: 60_000,
      });
      const answers: { id: string; model: string; text: string; usage: [number, number] }[] = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(answers.map((a) => a.text)).toEqual([MOCK_ANTHROPIC_GREETING, PROVIDER_ANSWER, MOCK_GEMINI_GREETING]);
      expect(answers[1]!.usage).toEqual([PROVIDER_USAGE.prompt_tokens, PROVIDER_USAGE.completion_tokens]);

      // Each call is a gateway trace of its own, found by the response id its span carries.
      const spans = await eventually(async () => {
        const { body } = await getJson(server, '/api/projects/1/ai/traces?limit=100');
        const found = new Map<string, any>();
        for (const item of body.items.filter((t: any) => t.gateway)) {
          const detail = (await getJson(server, `/api/projects/1/ai/traces/${item.traceId}`)).body;
          for (const span of detail?.spans ?? []) if (span.attributes?.['temps.gateway'] === true) found.set(span.responseId, { ...span, trace: detail.trace });
        }
        return answers.every((a) => found.has(a.id)) ? answers.map((a) => found.get(a.id)) : undefined;
      }, 20_000, 'the three calls in AI Activity');
      expect(spans.map((s: any) => [s.provider, s.requestModel, s.responseModel, s.inputTokens, s.outputTokens])).toEqual([
        ['anthropic', 'claude-haiku-4-5', answers[0]!.model, ...answers[0]!.usage],
        ['openai', 'gpt-4o', answers[1]!.model, ...answers[1]!.usage],
        ['gcp.gemini', 'gemini-2.5-flash', answers[2]!.model, ...answers[2]!.usage],
      ]);
      for (const s of spans) expect(s.trace).toMatchObject({ gateway: true, providers: [s.provider], inputTokens: s.inputTokens, outputTokens: s.outputTokens, cost: expect.any(Number) });
    });
  });
}
